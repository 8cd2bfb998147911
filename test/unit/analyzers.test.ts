// The cross-object checks (core/analyzers/) over Istio-shaped objects: each one found where Istio's analyzer finds
// it, and silent on the layouts that are fine.
import { expect } from 'chai';
import { analyzeObjects } from '../../core/analyze.js';
import type { KubeObject } from '../../core/model.js';
import { readYaml } from '../../core/yaml.js';

const objects = (yaml: string) => readYaml(yaml).map((o) => {
  const k = o as KubeObject;
  return { ...k, metadata: { namespace: 'shop', ...k.metadata } };
});

/** "CODE object field" of each cross-object finding (GRAY5xx, and GRAY108 for routes after a catch-all). */
function found(yaml: string, complete = false): string[] {
  const given = objects(yaml);
  return analyzeObjects(given, undefined, new Date('2026-12-01T00:00:00Z'), { complete }).findings
    .filter((f) => /^GRAY(5|108)/.test(f.code)).map((f) => `${f.code} ${f.object} ${f.field}`);
}

const SERVICE = (name: string, ports = '[{port: 9080, name: http}]', ns = 'shop') =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {selector: {app: ${name}}, ports: ${ports}}\n---\n`;
const DR = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec: {host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}\n---\n';
const vs = (name: string, spec: string, meta = '') => `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ${name}${meta}}\nspec:\n${spec}\n---\n`;
const SPLIT = vs('reviews', '  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews, subset: v1}, weight: 90}\n    - {destination: {host: reviews, subset: v2}, weight: 10}');

describe('cross-object checks (istioctl analyze\'s)', () => {
  it('IST0109: two mesh VirtualServices for one host, each reported; the older one is the one Istio uses', () => {
    const older = vs('a', '  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews}}]', ', creationTimestamp: "2026-01-01T00:00:00Z"');
    const newer = vs('b', '  hosts: [reviews.shop.svc.cluster.local]\n  http:\n  - route: [{destination: {host: reviews}}]', ', creationTimestamp: "2026-02-01T00:00:00Z"');
    expect(found(older + newer)).to.deep.equal(['GRAY501 VirtualService shop/a spec.hosts[0]', 'GRAY501 VirtualService shop/b spec.hosts[0]']);
    const problems = analyzeObjects(objects(older + newer)).findings.map((f) => f.problem);
    expect(problems[1]).to.contain('Istio uses one (shop/a, the oldest)').and.contain('changes to this one do nothing');
    // Not a conflict: one bound to a gateway only; each exported to a different namespace; the same object twice.
    expect(found(older + newer.replace('spec:\n', 'spec:\n  gateways: [gw]\n'))).to.deep.equal([]);
    expect(found(older.replace('spec:\n', 'spec:\n  exportTo: [.]\n') + newer.replace('spec:\n', 'spec:\n  exportTo: [other]\n'))).to.deep.equal([]);
    expect(found(older + older)).to.deep.equal([]);
  });

  it('IST0130/IST0131: a duplicate match, a prefix inside an earlier prefix, a route whose every match is taken; http, tcp and tls', () => {
    const http = vs('r', [
      '  hosts: [reviews]', '  http:',
      '  - match: [{headers: {end-user: {exact: jason}}}]', '    route: [{destination: {host: reviews, subset: v2}}]',
      '  - match: [{uri: {prefix: /api}}]', '    route: [{destination: {host: reviews, subset: v1}}]',
      '  - match: [{headers: {end-user: {exact: jason}}}, {uri: {prefix: /api/v2}}]', '    route: [{destination: {host: reviews, subset: v2}}]',
      '  - match: [{headers: {end-user: {exact: jason}}}]', '    route: [{destination: {host: reviews, subset: v1}}]',
      '  - route: [{destination: {host: reviews, subset: v1}}]',
    ].join('\n'));
    expect(found(DR + http)).to.deep.equal([
      'GRAY508 VirtualService shop/r spec.http[2].match[0]', 'GRAY508 VirtualService shop/r spec.http[2].match[1]',
      'GRAY508 VirtualService shop/r spec.http[3].match[0]', 'GRAY507 VirtualService shop/r spec.http[3]',
    ]);
    const tcp = vs('t', '  hosts: [reviews]\n  tcp:\n  - match: [{port: 9080}]\n    route: [{destination: {host: reviews}}]\n  - match: [{port: 9080}]\n    route: [{destination: {host: ratings}}]');
    expect(found(tcp)).to.deep.equal(['GRAY508 VirtualService shop/t spec.tcp[1].match[0]', 'GRAY507 VirtualService shop/t spec.tcp[1]']);
    const tls = vs('s', '  hosts: [a.example.com]\n  gateways: [gw]\n  tls:\n  - match: [{sniHosts: [a.example.com]}]\n    route: [{destination: {host: a}}]\n  - match: [{sniHosts: [a.example.com], port: 443}]\n    route: [{destination: {host: b}}]');
    expect(found(tls)).to.deep.equal([]);
    // A route after a catch-all stays GRAY108's, now with Istio's code.
    const late = vs('l', '  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews}}]\n  - match: [{uri: {exact: /x}}]\n    route: [{destination: {host: reviews}}]');
    expect(found(late)).to.deep.equal(['GRAY108 VirtualService shop/l spec.http[1]']);
  });

  it('IST0140: a gateway route without a subset beside a mesh split of the same host', () => {
    const edge = vs('edge', '  hosts: [shop.example.com]\n  gateways: [istio-system/public]\n  http:\n  - route: [{destination: {host: reviews}}]');
    expect(found(DR + SPLIT + edge)).to.deep.equal(['GRAY509 VirtualService shop/edge spec.http[0].route[0].destination.subset']);
    // The same gateway route to a subset, or no split in the mesh: nothing.
    expect(found(DR + SPLIT + edge.replace('{host: reviews}', '{host: reviews, subset: v1}'))).to.deep.equal([]);
    expect(found(DR + edge)).to.deep.equal([]);
  });

  it('IST0101/IST0132: a missing Gateway, and a host none of its servers serve (when Gateways are given)', () => {
    const gw = 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: public, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ["shop/*.example.com"]\n---\n';
    const edge = (hosts: string, gateway = 'istio-system/public') => vs('edge', `  hosts: [${hosts}]\n  gateways: [${gateway}]\n  http:\n  - route: [{destination: {host: reviews, subset: v1}}]`);
    expect(found(gw + edge('shop.example.com'))).to.deep.equal([]);
    expect(found(gw + edge('shop.example.org'))).to.deep.equal(['GRAY506 VirtualService shop/edge spec.gateways[0]']);
    expect(found(gw + edge('shop.example.com', 'istio-system/private'))).to.deep.equal(['GRAY505 VirtualService shop/edge spec.gateways[0]']);
    // Another namespace's VirtualService is not served by "shop/..." hosts.
    expect(found(gw + edge('shop.example.com').replace('{name: edge}', '{name: edge, namespace: web}'))).to.deep.equal(['GRAY506 VirtualService web/edge spec.gateways[0]']);
    // No Gateway given at all (kept elsewhere): not reported from files; on the live cluster it is.
    expect(found(edge('shop.example.com'))).to.deep.equal([]);
    expect(found(SERVICE('reviews') + edge('shop.example.com'), true)).to.deep.equal(['GRAY505 VirtualService shop/edge spec.gateways[0]']);
  });

  it('IST0101/IST0112 on the live cluster: hosts and ports that do not exist, exportTo, several ports', () => {
    const route = (dest: string) => vs('r', `  hosts: [reviews]\n  http:\n  - route: [{destination: ${dest}}]`);
    expect(found(SERVICE('reviews') + route('{host: reviews}'), true)).to.deep.equal([]);
    expect(found(SERVICE('reviews') + route('{host: reviews}'))).to.deep.equal([]); // files alone: not checked
    expect(found(SERVICE('reviews') + route('{host: revues}'), true)).to.deep.equal(['GRAY502 VirtualService shop/r spec.http[0].route[0].destination.host']);
    expect(found(SERVICE('reviews') + route('{host: reviews, port: {number: 9090}}'), true)).to.deep.equal(['GRAY503 VirtualService shop/r spec.http[0].route[0].destination.port.number']);
    expect(found(SERVICE('reviews', '[{port: 9080}, {port: 15020}]') + route('{host: reviews}'), true)).to.deep.equal(['GRAY504 VirtualService shop/r spec.http[0].route[0].destination.port']);
    const hidden = SERVICE('reviews', '[{port: 9080}]', 'other').replace('namespace: other}', 'namespace: other, annotations: {networking.istio.io/exportTo: "."}}');
    expect(found(hidden + route('{host: reviews.other.svc.cluster.local}'), true)).to.deep.equal(['GRAY502 VirtualService shop/r spec.http[0].route[0].destination.host']);
    const se = 'apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext}\nspec: {hosts: ["*.example.com"], ports: [{number: 443, name: tls, protocol: TLS}], resolution: NONE}\n---\n';
    expect(found(se + route('{host: api.example.com}'), true)).to.deep.equal([]);
  });

  it('IST0173: a subset that selects no pod of its service; IST0149: claim routing without a RequestAuthentication', () => {
    const pod = (name: string, labels: string, ns = 'shop') => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}, labels: ${labels}}\nspec: {}\n---\n`;
    expect(found(SERVICE('reviews') + DR + pod('r1', '{app: reviews, version: v1}'))).to.deep.equal(['GRAY510 DestinationRule shop/reviews spec.subsets[1].labels']);
    expect(found(SERVICE('reviews') + DR + pod('r1', '{app: reviews, version: v1}') + pod('r2', '{app: reviews, version: v2}'))).to.deep.equal([]);
    // A Deployment in the files stands for the pods its template makes.
    const deployment = (v: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reviews-${v}}\nspec: {selector: {matchLabels: {app: reviews, version: ${v}}}, template: {metadata: {labels: {app: reviews, version: ${v}}}}}\n---\n`;
    expect(found(SERVICE('reviews') + DR + deployment('v1'))).to.deep.equal(['GRAY510 DestinationRule shop/reviews spec.subsets[1].labels']);
    expect(found(SERVICE('reviews') + DR + deployment('v1') + deployment('v2'))).to.deep.equal([]);
    // The service's selector counts: a v2 pod of another app is not a reviews v2.
    expect(found(SERVICE('reviews') + DR + pod('r1', '{app: reviews, version: v1}') + pod('x', '{app: ratings, version: v2}'))).to.deep.equal(['GRAY510 DestinationRule shop/reviews spec.subsets[1].labels']);
    const gw = 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: public, namespace: istio-system}\nspec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*/*"]}]}\n---\n';
    const claims = vs('edge', '  hosts: [shop.example.com]\n  gateways: [istio-system/public]\n  http:\n  - match: [{headers: {"@request.auth.claims.groups": {exact: beta}}}]\n    route: [{destination: {host: reviews, subset: v2}}]\n  - route: [{destination: {host: reviews, subset: v1}}]');
    const ingress = pod('ingress-1', '{istio: ingressgateway}', 'istio-system');
    const ra = 'apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: istio-system}\nspec: {selector: {matchLabels: {istio: ingressgateway}}, jwtRules: [{issuer: "https://issuer"}]}\n---\n';
    expect(found(gw + claims + ingress)).to.deep.equal(['GRAY511 VirtualService shop/edge spec.http[0].match[0].headers']);
    expect(found(gw + claims + ingress + ra)).to.deep.equal([]);
  });
});
