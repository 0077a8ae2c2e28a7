{{/* Fixed name per release, so the dalp chart of the same release finds the service without lookups. */}}
{{- define "rustfs.fullname" -}}
{{- printf "%s-rustfs" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "rustfs.selectorLabels" -}}
app.kubernetes.io/name: rustfs
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "rustfs.labels" -}}
{{ include "rustfs.selectorLabels" . }}
app.kubernetes.io/component: {{ .Chart.Name }}
app.kubernetes.io/part-of: dalp
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
dalp.io/component: rustfs
{{- end -}}

{{/* Read by `dalp check`: a bundled service is a documented singleton dependency. */}}
{{- define "rustfs.singletonAnnotations" -}}
dalp.io/singleton: "true"
dalp.io/singleton-reason: "bundled RustFS for local and staging use: one instance on one volume, no replication; use provider object storage in production"
{{- end -}}

{{- define "rustfs.image" -}}
{{- $registry := default .Values.image.registry (.Values.global | default dict).imageRegistry -}}
{{- printf "%s/%s:%s" $registry .Values.image.repository (toString .Values.image.tag) -}}
{{- end -}}

{{- define "rustfs.secretName" -}}
{{- default (include "rustfs.fullname" .) .Values.auth.existingSecret -}}
{{- end -}}

{{- define "rustfs.imagePullSecrets" -}}
{{- with (.Values.global | default dict).imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Restricted Pod Security Standard; OpenShift assigns the ids from the namespace range. Argument: dict "context" $ "uid" <id>. */}}
{{- define "rustfs.podSecurityContext" -}}
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

{{- define "rustfs.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "rustfs.dataVolume" -}}
{{- if .Values.persistence.enabled }}
volumeClaimTemplates:
  - metadata:
      name: data
      labels:
        {{- include "rustfs.selectorLabels" . | nindent 8 }}
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
