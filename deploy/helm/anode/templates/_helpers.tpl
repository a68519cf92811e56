{{/* Name of the chart, or nameOverride. */}}
{{- define "anode.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: the StatefulSet, its pods
(<fullname>-1 ...) and the client Service. Kept to 50 characters so that
"<fullname>-headless" and the pod names stay within DNS label limits.
*/}}
{{- define "anode.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The headless Service that names the pods. */}}
{{- define "anode.headless" -}}
{{- printf "%s-headless" (include "anode.fullname" .) }}
{{- end }}

{{- define "anode.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "anode.selectorLabels" -}}
app.kubernetes.io/name: {{ include "anode.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "anode.labels" -}}
helm.sh/chart: {{ include "anode.chart" . }}
{{ include "anode.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Name of the Secret with the root credentials. */}}
{{- define "anode.secretName" -}}
{{- default (printf "%s-credentials" (include "anode.fullname" .)) .Values.credentials.existingSecret }}
{{- end }}

{{/*
cluster.initial_members: the cluster address of every pod, in ordinal order,
so that the i-th member is the pod <fullname>-i, whose node id is i.
*/}}
{{- define "anode.initialMembers" -}}
{{- $fullname := include "anode.fullname" . }}
{{- $headless := include "anode.headless" . }}
{{- $members := list }}
{{- range $i := until (int .Values.replicaCount) }}
{{- $members = append $members (printf "%s-%d.%s.%s.svc.%s:%d" $fullname (add1 $i) $headless $.Release.Namespace $.Values.clusterDomain (int $.Values.ports.cluster)) }}
{{- end }}
{{- join "," $members }}
{{- end }}
