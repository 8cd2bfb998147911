# The admission webhook image (the chart's image.repository). Not built in CI here: no container
# engine runs on these machines. Build: docker build -t ghcr.io/kubectl-gray/webhook:0.1.0 .
FROM node:20-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY core core
COPY kube kube
COPY plugin plugin
COPY webhook webhook
COPY test/unit test/unit
COPY test/e2e test/e2e
COPY test/support test/support
COPY bench bench
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-alpine
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist/core dist/core
COPY --from=build /src/dist/kube dist/kube
COPY --from=build /src/dist/webhook dist/webhook
# The chart runs it as 65532 with a read-only root filesystem; certificates go to an emptyDir.
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["node", "/app/dist/webhook/main.js"]
CMD ["serve"]
