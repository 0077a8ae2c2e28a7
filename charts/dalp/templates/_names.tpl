{{/* Names of the objects of the chart. */}}

{{/* Names follow the usual Helm conventions so objects stay under the 63-character DNS limit. */}}
{{- define "dalp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dalp.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "dalp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dalp.serviceAccountName" -}}
{{- if .Values.dapp.serviceAccount.create -}}
{{- default (include "dalp.fullname" .) .Values.dapp.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.dapp.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Secret key names of the chart's own Secret (inline credentials only). */}}
{{- define "dalp.secretName" -}}
{{- printf "%s-credentials" (include "dalp.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

