{{/* A bundled service's image (a global registry overrides the chart's) and the secrets to pull it. */}}
{{- define "dalp-common.support.image" -}}
{{- $registry := default .Values.image.registry (.Values.global | default dict).imageRegistry -}}
{{- printf "%s/%s:%s" $registry .Values.image.repository (toString .Values.image.tag) -}}
{{- end -}}

{{- define "dalp-common.support.imagePullSecrets" -}}
{{- with (.Values.global | default dict).imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
