{{/* Labels and annotations every object carries. */}}

{{- define "dalp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dalp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: dapp
{{- end -}}

{{- define "dalp.labels" -}}
{{ include "dalp.selectorLabels" . }}
helm.sh/chart: {{ include "dalp.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dalp
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "dalp.annotations" -}}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

