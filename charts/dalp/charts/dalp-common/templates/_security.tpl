{{/* Restricted Pod Security Standard; OpenShift assigns the ids from the namespace range. Argument: dict "context" $ "uid" <id>. */}}
{{- define "dalp-common.support.podSecurityContext" -}}
runAsNonRoot: true
{{- if not ((.context.Values.global | default dict).openshift | default dict).enabled }}
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
fsGroupChangePolicy: OnRootMismatch
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "dalp-common.support.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
