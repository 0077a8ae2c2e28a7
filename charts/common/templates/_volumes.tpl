{{/* A bundled service's data: a volume claim per replica when persistence is on (else an emptyDir). */}}
{{- define "dalp-common.support.dataVolume" -}}
{{- if .Values.persistence.enabled }}
volumeClaimTemplates:
  - metadata:
      name: data
      labels:
        {{- include "dalp-common.support.selectorLabels" . | nindent 8 }}
    spec:
      accessModes: ["ReadWriteOnce"]
      {{- with .Values.persistence.storageClass }}
      storageClassName: {{ . }}
      {{- end }}
      resources:
        requests:
          storage: {{ .Values.persistence.size }}
{{- end }}
{{- end -}}
