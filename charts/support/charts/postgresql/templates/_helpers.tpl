{{/* Fixed name per release, so the dalp chart of the same release finds the service without lookups. */}}
{{- define "postgresql.fullname" -}}
{{- printf "%s-postgresql" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "postgresql.selectorLabels" -}}
app.kubernetes.io/name: postgresql
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "postgresql.labels" -}}
{{ include "postgresql.selectorLabels" . }}
app.kubernetes.io/component: {{ .Chart.Name }}
app.kubernetes.io/part-of: dalp
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
dalp.io/component: postgresql
{{- end -}}

{{/* Read by `dalp check`: a bundled service is a documented singleton dependency. */}}
{{- define "postgresql.singletonAnnotations" -}}
dalp.io/singleton: "true"
dalp.io/singleton-reason: "bundled PostgreSQL for local and staging use: one instance, no replication or failover; use managed PostgreSQL with HA and PITR in production"
{{- end -}}

{{- define "postgresql.image" -}}
{{- $registry := default .Values.image.registry (.Values.global | default dict).imageRegistry -}}
{{- printf "%s/%s:%s" $registry .Values.image.repository (toString .Values.image.tag) -}}
{{- end -}}

{{- define "postgresql.secretName" -}}
{{- default (include "postgresql.fullname" .) .Values.auth.existingSecret -}}
{{- end -}}

{{- define "postgresql.imagePullSecrets" -}}
{{- with (.Values.global | default dict).imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Restricted Pod Security Standard; OpenShift assigns the ids from the namespace range. Argument: dict "context" $ "uid" <id>. */}}
{{- define "postgresql.podSecurityContext" -}}
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

{{- define "postgresql.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "postgresql.dataVolume" -}}
{{- if .Values.persistence.enabled }}
volumeClaimTemplates:
  - metadata:
      name: data
      labels:
        {{- include "postgresql.selectorLabels" . | nindent 8 }}
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
