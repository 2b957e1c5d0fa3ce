{{/*
Shared template pieces. Labels follow the Kubernetes recommended set; app.kubernetes.io/name
is the service name because the operator selects a scenario's culprit pods by it
(operator/src/drill/faults.rs SERVICE_LABEL) and Prometheus turns it into the `job` label
the scenarios' signals query.
*/}}

{{- define "firedrill.labels" -}}
app.kubernetes.io/part-of: firedrill
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end }}

{{/*
The name of replica I of a service with N replicas, for its Deployment, its Service and its
callers' addresses: NAME-I, or NAME alone when the service has one replica (then the shared
Service is that replica's). Call: include "firedrill.replicaName" (list NAME I N)
*/}}
{{- define "firedrill.replicaName" -}}
{{- if gt (int (index . 2)) 1 }}{{ index . 0 }}-{{ index . 1 }}{{ else }}{{ index . 0 }}{{ end }}
{{- end }}

{{- define "firedrill.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}

{{/* Restricted pod security: non-root, no privilege escalation, read-only root. */}}
{{- define "firedrill.podSecurity" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "firedrill.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end }}

{{/* The admin token: the value given, else the one already installed, else a new one. */}}
{{- define "firedrill.adminToken" -}}
{{- if .Values.adminToken -}}
{{ .Values.adminToken }}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace "firedrill-admin-token" -}}
{{- if and $existing $existing.data (index $existing.data "token") -}}
{{ index $existing.data "token" | b64dec }}
{{- else -}}
{{ randAlphaNum 40 }}
{{- end -}}
{{- end -}}
{{- end }}

{{/* OTLP endpoints of the observability stack, empty when that backend is off. */}}
{{- define "firedrill.tracesEndpoint" -}}
{{- if .Values.jaeger.enabled -}}
http://jaeger.{{ .Release.Namespace }}.svc:4318/v1/traces
{{- end -}}
{{- end }}

{{- define "firedrill.logsEndpoint" -}}
{{- if eq .Values.logs.backend "victorialogs" -}}
http://victorialogs.{{ .Release.Namespace }}.svc:9428/insert/opentelemetry/v1/logs
{{- end -}}
{{- end }}
