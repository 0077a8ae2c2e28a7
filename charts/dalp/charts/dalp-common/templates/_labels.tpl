{{/* Labels and annotations of a bundled service's objects. */}}
{{- define "dalp-common.support.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dalp-common.support.labels" -}}
{{ include "dalp-common.support.selectorLabels" . }}
app.kubernetes.io/component: {{ .Chart.Name }}
app.kubernetes.io/part-of: dalp
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
dalp.io/component: {{ .Chart.Name }}
{{- end -}}

{{/* Read by `dalp check`: a bundled service is a documented singleton dependency. */}}
{{- define "dalp-common.support.singletonAnnotations" -}}
dalp.io/singleton: "true"
dalp.io/singleton-reason: {{ (include "dalp-common.bundled" (dict "context" . "service" .Chart.Name) | fromJson).singletonReason | quote }}
{{- end -}}
