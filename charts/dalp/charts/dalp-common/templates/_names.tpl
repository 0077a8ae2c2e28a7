{{/*
Names of a bundled service's objects. The support subcharts are named after the service they run, so
`.Chart.Name` says which entry of dalp-common.bundled is theirs.
*/}}
{{- define "dalp-common.support.fullname" -}}
{{- (include "dalp-common.bundled" (dict "context" . "service" .Chart.Name) | fromJson).name -}}
{{- end -}}

{{/* The Secret with the service's credentials: the generated one, or the user's own. */}}
{{- define "dalp-common.support.secretName" -}}
{{- default (include "dalp-common.support.fullname" .) .Values.auth.existingSecret -}}
{{- end -}}
