{{- define "gray.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "gray.webhookName" -}}{{ include "gray.fullname" . | trunc 55 | trimSuffix "-" }}-webhook{{- end -}}

{{- define "gray.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "gray.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{/* Where TLS material comes from: the Secret name for certManager/userSupplied, empty for selfManaged. */}}
{{- define "gray.tlsSecret" -}}
{{- $c := .Values.certificates -}}
{{- if eq $c.mode "certManager" -}}{{ include "gray.webhookName" . }}-tls
{{- else if eq $c.mode "userSupplied" -}}{{ $c.userSupplied.secretName }}
{{- end -}}
{{- end -}}

{{/* Refuses contradictory certificate settings with a message that says which keys to change. */}}
{{- define "gray.validate" -}}
{{- $c := .Values.certificates -}}
{{- if eq $c.mode "userSupplied" -}}
  {{- if or (not $c.userSupplied.secretName) (not $c.userSupplied.caBundle) -}}
    {{- fail "certificates.mode=userSupplied needs both certificates.userSupplied.secretName and certificates.userSupplied.caBundle" -}}
  {{- end -}}
{{- else -}}
  {{- if or $c.userSupplied.secretName $c.userSupplied.caBundle -}}
    {{- fail (printf "certificates.userSupplied.* is set but certificates.mode is %s: set mode=userSupplied, or remove the userSupplied values" $c.mode) -}}
  {{- end -}}
{{- end -}}
{{- if and (ne $c.mode "certManager") $c.certManager.issuerRef -}}
  {{- fail (printf "certificates.certManager.issuerRef is set but certificates.mode is %s: set mode=certManager, or remove the issuerRef" $c.mode) -}}
{{- end -}}
{{- if and $c.certManager.issuerRef (not $c.certManager.issuerRef.name) -}}
  {{- fail "certificates.certManager.issuerRef needs a name" -}}
{{- end -}}
{{- end -}}

{{/* The namespaces never sent to the webhook: the cluster's own, ours, and any listed; plus the opt-out label. */}}
{{- define "gray.namespaceSelector" -}}
namespaceSelector:
  matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
    {{- range (concat (list "kube-system" .Release.Namespace) .Values.webhook.excludeNamespaces | uniq) }}
    - {{ . | quote }}
    {{- end }}
  - key: {{ .Values.webhook.optOutLabel | quote }}
    operator: NotIn
    values: ["disabled"]
{{- end -}}

{{- define "gray.clientConfig" -}}
clientConfig:
  service:
    name: {{ include "gray.webhookName" .root }}
    namespace: {{ .root.Release.Namespace }}
    path: {{ .path }}
    port: 443
  {{- if eq .root.Values.certificates.mode "userSupplied" }}
  caBundle: {{ .root.Values.certificates.userSupplied.caBundle }}
  {{- end }}
{{- end -}}

{{- define "gray.webhookAnnotations" -}}
{{- if eq .Values.certificates.mode "certManager" -}}
annotations:
  cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "gray.webhookName" .) }}
{{- end -}}
{{- end -}}

{{/* The main entry's failurePolicy as the webhook left it in the cluster (an upgrade), else Ignore (an install,
     or a render without a cluster: helm template). Only a value the chart could have configured is kept. */}}
{{- define "gray.liveFailurePolicy" -}}
{{- $live := lookup "admissionregistration.k8s.io/v1" "ValidatingWebhookConfiguration" "" (include "gray.fullname" .) -}}
{{- $policy := "Ignore" -}}
{{- range (dig "webhooks" list $live) -}}
{{- if and (eq .name "istio.validate.kubectl-gray.io") (eq (.failurePolicy | default "") $.Values.webhook.validating.failurePolicy) -}}
{{- $policy = .failurePolicy -}}
{{- end -}}
{{- end -}}
{{- $policy -}}
{{- end -}}
