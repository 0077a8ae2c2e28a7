{{/* Pod and container security contexts. */}}

{{/* Security contexts; OpenShift assigns user and group ids from the namespace range itself. */}}
{{- define "dalp.podSecurityContext" -}}
{{- $ctx := omit .Values.dapp.podSecurityContext "enabled" -}}
{{- if .Values.global.openshift.enabled -}}
{{- $ctx = omit $ctx "runAsUser" "runAsGroup" "fsGroup" -}}
{{- end -}}
{{- $_ := set $ctx "runAsNonRoot" true -}}
{{- toYaml $ctx -}}
{{- end -}}

{{- define "dalp.containerSecurityContext" -}}
{{- $ctx := omit .Values.dapp.containerSecurityContext "enabled" -}}
{{- if .Values.global.openshift.enabled -}}
{{- $ctx = omit $ctx "runAsUser" "runAsGroup" -}}
{{- end -}}
{{- toYaml $ctx -}}
{{- end -}}

