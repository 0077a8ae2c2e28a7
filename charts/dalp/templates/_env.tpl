{{/* The dapp container's environment: every variable of docs/configuration.md the chart controls. */}}

{{/* One environment variable from a secret key or a plain value; nothing when neither is set. */}}
{{- define "dalp.env.var" -}}
{{- if and .secret .key }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- else if not (or (kindIs "invalid" .value) (eq (toString .value) "")) }}
- name: {{ .name }}
  value: {{ toString .value | quote }}
{{- end }}
{{- end -}}

{{/* Every variable of docs/configuration.md that the chart controls. Argument: dict "context" $ "migrateOnStart" bool. */}}
{{- define "dalp.env" -}}
{{- $ := .context -}}
{{- $d := $.Values.dapp -}}
- name: PORT
  value: {{ $d.containerPort | quote }}
- name: LOG_LEVEL
  value: {{ $d.config.logLevel | quote }}
- name: MIGRATE_ON_START
  value: {{ ternary "true" "false" .migrateOnStart | quote }}
- name: DOCUMENT_MAX_BYTES
  value: {{ int64 $d.config.documentMaxBytes | quote }}
- name: DOCUMENT_PURGE_AFTER_HOURS
  value: {{ int64 $d.config.documentPurgeAfterHours | quote }}
- name: DOCUMENT_PURGE_INTERVAL_MS
  value: {{ mul (int $d.config.documentPurgeIntervalSeconds) 1000 | quote }}
- name: SHUTDOWN_DRAIN_DELAY_MS
  value: {{ mul (int $d.shutdown.drainDelaySeconds) 1000 | quote }}
- name: SHUTDOWN_TIMEOUT_MS
  value: {{ mul (int $d.shutdown.timeoutSeconds) 1000 | quote }}
- name: CACHE_TTL_SECONDS
  value: {{ $d.config.cacheTtlSeconds | quote }}
- name: RATE_LIMIT_PER_MINUTE
  value: {{ $d.config.rateLimitPerMinute | quote }}
- name: AUTH_FAILURES_PER_MINUTE
  value: {{ $d.config.authFailuresPerMinute | quote }}
- name: TRUST_PROXY
  value: {{ $d.config.trustProxy | quote }}
- name: DATABASE_POOL_MAX
  value: {{ $d.config.databasePoolMax | quote }}
- name: DATABASE_CONNECT_TIMEOUT_MS
  value: {{ $d.config.databaseConnectTimeoutMs | quote }}
- name: DATABASE_STATEMENT_TIMEOUT_MS
  value: {{ $d.config.databaseStatementTimeoutMs | quote }}
- name: HEALTH_CHECK_INTERVAL_MS
  value: {{ $d.config.healthCheckIntervalMs | quote }}
- name: HEALTH_CHECK_TIMEOUT_MS
  value: {{ $d.config.healthCheckTimeoutMs | quote }}
{{- with $d.config.bootstrapAdminKey }}
{{- if .existingSecret }}
- name: DALP_BOOTSTRAP_ADMIN_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- include "dalp.env.datastore" (dict "context" $ "service" "postgresql") }}
{{- include "dalp.env.datastore" (dict "context" $ "service" "redis") }}
{{- include "dalp.env.datastore" (dict "context" $ "service" "objectStorage") }}
{{- with $d.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

