{{/* The chart name, or nameOverride. */}}
{{- define "signet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-signet, or the release name when it already contains the chart name, or fullnameOverride. */}}
{{- define "signet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "signet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "signet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "signet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "signet.labels" -}}
helm.sh/chart: {{ include "signet.chart" . }}
{{ include "signet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: signet
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "signet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "signet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* "true" when the operator elects a leader: more than one replica, or leaderElection.enabled. */}}
{{- define "signet.leaderElect" -}}
{{- if or (gt (int .Values.replicaCount) 1) .Values.leaderElection.enabled }}true{{ end }}
{{- end }}

{{- define "signet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The rules of the operator's (Cluster)Roles in the watched namespaces: docs/architecture.md#key-material-in-secrets, least privilege. */}}
{{- define "signet.rules" -}}
# Read AuthServers (informers), write only their status.
- apiGroups: ["signet.dev"]
  resources: ["authservers"]
  verbs: ["get", "list", "watch"]
# Status is written with a replace (update) carrying the resourceVersion; never patched.
- apiGroups: ["signet.dev"]
  resources: ["authservers/status"]
  verbs: ["update"]
# Read referenced Secrets, create the missing ones, and patch the ones Signet generated for a
# rotation (next.key.pem, then key.pem; docs/rotation.md). Signet never deletes a Secret:
# generated Secrets with deletionPolicy Delete go through the garbage collector (ownerReferences).
# RBAC cannot tell Secrets apart: the ValidatingAdmissionPolicy (validatingadmissionpolicy.yaml)
# limits these writes to Opaque Secrets labelled app.kubernetes.io/managed-by: signet.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "patch"]
# Events on AuthServers (KeyGenerated, SigningKeyChanged, ...): each is a new Event, never patched.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}

{{/* The Secret with the JWKS listener's certificate, or nothing when the JWKS is served over plain HTTP. */}}
{{- define "signet.jwksTlsSecretName" -}}
{{- if .Values.jwks.tls.secretName }}{{ .Values.jwks.tls.secretName }}
{{- else if .Values.jwks.tls.certManager.enabled }}{{ include "signet.fullname" . }}-jwks-tls
{{- end }}
{{- end }}
