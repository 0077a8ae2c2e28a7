{{/* The data services: external settings, the bundled support services, or a clear failure. */}}

{{/*
Data services. `global.datastores.dapp.<service>` overrides `global.datastores.default.<service>` key by
key. Argument: dict "global" <.Values.global> "service" "postgresql|redis|objectStorage"; returns JSON.
*/}}
{{- define "dalp.datastore" -}}
{{- $stores := (.global | default dict).datastores | default dict -}}
{{- $default := get ($stores.default | default dict) .service | default dict -}}
{{- $dapp := get ($stores.dapp | default dict) .service | default dict -}}
{{- toJson (mergeOverwrite (deepCopy $default) (deepCopy $dapp)) -}}
{{- end -}}

{{/* Whether external settings name a server; argument as for dalp.datastore. Returns "true" or "". */}}
{{- define "dalp.datastore.external" -}}
{{- $c := include "dalp.datastore" . | fromJson -}}
{{- $keys := $c.existingSecretKeys | default dict -}}
{{- if eq .service "postgresql" -}}
{{- if or $c.host (and $c.existingSecret $keys.host) }}true{{ end -}}
{{- else if eq .service "redis" -}}
{{- $sentinel := $c.sentinel | default dict -}}
{{- if or $c.host (and $sentinel.enabled $sentinel.nodes) (and $c.existingSecret $keys.host) }}true{{ end -}}
{{- else -}}
{{- if $c.bucket }}true{{ end -}}
{{- end -}}
{{- end -}}

{{/* The key a user must set when a service is neither external nor bundled. */}}
{{- define "dalp.datastore.missingKey" -}}
{{- $key := dict "postgresql" "host" "redis" "host" "objectStorage" "bucket" -}}
{{- printf "global.datastores.dapp.%s.%s (or global.datastores.default.%s.%s)" .service (get $key .service) .service (get $key .service) -}}
{{- end -}}

{{/*
Called by the wrapper charts with their own context: a `support.<service>.enabled: false` without external
settings must fail here, because the dalp subchart cannot see the support chart's switches.
*/}}
{{- define "dalp.wrapper.checkDatastores" -}}
{{- $support := .Values.support | default dict -}}
{{- $supportOn := or (not (hasKey $support "enabled")) $support.enabled -}}
{{- /* What the dalp subchart will see: its own `dalp.global` overridden by the release's globals. */ -}}
{{- $global := mergeOverwrite (deepCopy ((.Values.dalp | default dict).global | default dict)) (deepCopy (.Values.global | default dict)) -}}
{{- $missing := list -}}
{{- range $service := list "objectStorage" "postgresql" "redis" }}
{{- $bundle := include "dalp-common.bundled.serviceFor" $service -}}
{{- $enabled := and $supportOn (get $support $bundle | default dict).enabled -}}
{{- if and (not $enabled) (not (include "dalp.datastore.external" (dict "global" $global "service" $service))) }}
{{- $missing = append $missing (printf "%s is required because support.%s.enabled is false" (include "dalp.datastore.missingKey" (dict "service" $service)) $bundle) -}}
{{- end }}
{{- end }}
{{- if $missing }}
{{- fail (printf "%s: missing external data service settings: %s" .Chart.Name (join "; " $missing)) }}
{{- end }}
{{- end -}}

{{/*
The external / bundled / fail pattern, written once for every data service of the dapp: the external
settings when they name a server, else the support chart's bundled service when
global.bundledDatastores enables it, else a failure that names the key to set. Argument: dict "context" $
"service" "postgresql|redis|objectStorage"; the variables come from dalp.env.<service>.external or
.bundled.
*/}}
{{- define "dalp.env.datastore" -}}
{{- $g := dict "global" .context.Values.global "service" .service -}}
{{- $bundle := include "dalp-common.bundled.serviceFor" .service -}}
{{- if include "dalp.datastore.external" $g -}}
{{- include (printf "dalp.env.%s.external" .service) (dict "context" .context "config" (include "dalp.datastore" $g | fromJson)) -}}
{{- else if get .context.Values.global.bundledDatastores $bundle -}}
{{- include (printf "dalp.env.%s.bundled" .service) (include "dalp-common.bundled" (dict "context" .context "service" $bundle) | fromJson) -}}
{{- else -}}
{{- $what := get (dict "postgresql" "PostgreSQL" "redis" "Redis/Valkey" "objectStorage" "object storage") .service -}}
{{- fail (printf "dalp: %s is required: no external %s is configured and no bundled one is enabled (global.bundledDatastores.%s)" (include "dalp.datastore.missingKey" $g) $what $bundle) -}}
{{- end -}}
{{- end -}}

{{/* External PostgreSQL. Argument: dict "context" $ "config" <dalp.datastore>. */}}
{{- define "dalp.env.postgresql.external" -}}
{{- $c := .config -}}
{{- $k := $c.existingSecretKeys | default dict -}}
{{- $s := $c.existingSecret -}}
{{- if not (or $c.database (and $s $k.database)) }}{{ fail "dalp: global.datastores.dapp.postgresql.database (or global.datastores.default.postgresql.database) is required for an external PostgreSQL" }}{{ end -}}
{{- if not (or $c.username (and $s $k.username)) }}{{ fail "dalp: global.datastores.dapp.postgresql.username (or global.datastores.default.postgresql.username) is required for an external PostgreSQL" }}{{ end -}}
{{- if not (or $c.password (and $s $k.password)) }}{{ fail "dalp: global.datastores.dapp.postgresql.existingSecret with existingSecretKeys.password (or an inline password) is required for an external PostgreSQL" }}{{ end -}}
{{- include "dalp.env.var" (dict "name" "DATABASE_HOST" "value" $c.host "secret" $s "key" $k.host) }}
{{- include "dalp.env.var" (dict "name" "DATABASE_PORT" "value" $c.port "secret" $s "key" $k.port) }}
{{- include "dalp.env.var" (dict "name" "DATABASE_NAME" "value" $c.database "secret" $s "key" $k.database) }}
{{- include "dalp.env.var" (dict "name" "DATABASE_USER" "value" $c.username "secret" $s "key" $k.username) }}
{{- if $c.passwordFile }}
{{- /* The Secret's key as a file (dalp.tlsVolumes mounts it): the kubelet updates it in place on rotation. */}}
- name: DATABASE_PASSWORD_FILE
  value: /etc/dalp/secrets/postgresql/password
{{- else if and $s $k.password }}
{{- include "dalp.env.var" (dict "name" "DATABASE_PASSWORD" "secret" $s "key" $k.password) }}
{{- else }}
{{- include "dalp.env.var" (dict "name" "DATABASE_PASSWORD" "secret" (include "dalp.secretName" .context) "key" "postgresql-password") }}
{{- end }}
{{- if and (has (toString $c.sslMode) (list "verify-ca" "verify-full")) (not $c.sslRootCertSecret) }}
{{- fail (printf "dalp: global.datastores.dapp.postgresql.sslRootCertSecret (or global.datastores.default.postgresql.sslRootCertSecret) is required with sslMode %s: the dapp needs the CA bundle to verify the server" $c.sslMode) }}
{{- end }}
{{- include "dalp.env.var" (dict "name" "DATABASE_SSLMODE" "value" $c.sslMode) }}
{{- if $c.sslRootCertSecret }}
- name: DATABASE_SSLROOTCERT
  value: /etc/dalp/tls/postgresql/ca.crt
{{- end }}
{{- end -}}

{{/* The support chart's PostgreSQL. Argument: its entry of dalp-common.bundled. */}}
{{- define "dalp.env.postgresql.bundled" }}
- name: DATABASE_HOST
  value: {{ .name }}
- name: DATABASE_PORT
  value: {{ .port | quote }}
- name: DATABASE_NAME
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .keys.database }}
- name: DATABASE_USER
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .keys.username }}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .keys.password }}
- name: DATABASE_SSLMODE
  value: disable
{{- end -}}

{{/* External Redis or Valkey (standalone, Sentinel, TLS). Argument: dict "context" $ "config" <dalp.datastore>. */}}
{{- define "dalp.env.redis.external" -}}
{{- $c := .config -}}
{{- $k := $c.existingSecretKeys | default dict -}}
{{- $s := $c.existingSecret -}}
{{- $tls := ($c.tls | default dict) -}}
{{- $sentinel := ($c.sentinel | default dict) -}}
{{- $scheme := ternary "rediss" "redis" (eq (toString $tls.enabled) "true") -}}
{{- if $sentinel.enabled }}
{{- if not $sentinel.masterName }}{{ fail "dalp: global.datastores.dapp.redis.sentinel.masterName is required when Sentinel is enabled" }}{{ end }}
- name: CACHE_SENTINELS
  value: {{ join "," $sentinel.nodes | quote }}
- name: CACHE_SENTINEL_MASTER
  value: {{ $sentinel.masterName | quote }}
{{- if and $s $k.sentinelPassword }}
{{- include "dalp.env.var" (dict "name" "CACHE_SENTINEL_PASSWORD" "secret" $s "key" $k.sentinelPassword) }}
{{- end }}
{{- else if and $s $k.host }}
{{- /* Kubernetes expands $(VAR) from earlier variables, so a host held in a secret still forms the URL. */}}
{{- include "dalp.env.var" (dict "name" "DALP_CACHE_HOST" "secret" $s "key" $k.host) }}
{{- include "dalp.env.var" (dict "name" "DALP_CACHE_PORT" "value" $c.port "secret" $s "key" $k.port) }}
- name: CACHE_URL
  value: {{ printf "%s://$(DALP_CACHE_HOST):$(DALP_CACHE_PORT)/%v" $scheme ($c.db | default 0) | quote }}
{{- else }}
- name: CACHE_URL
  value: {{ printf "%s://%s:%v/%v" $scheme $c.host ($c.port | default 6379) ($c.db | default 0) | quote }}
{{- end }}
{{- include "dalp.env.var" (dict "name" "CACHE_USERNAME" "value" $c.username "secret" $s "key" $k.username) }}
{{- if and $s $k.password }}
{{- include "dalp.env.var" (dict "name" "CACHE_PASSWORD" "secret" $s "key" $k.password) }}
{{- else if $c.password }}
{{- include "dalp.env.var" (dict "name" "CACHE_PASSWORD" "secret" (include "dalp.secretName" .context) "key" "redis-password") }}
{{- end }}
- name: CACHE_TLS
  value: {{ ternary "true" "false" (eq (toString $tls.enabled) "true") | quote }}
{{- if $tls.caSecret }}
- name: CACHE_TLS_CA_FILE
  value: /etc/dalp/tls/cache/ca.crt
{{- end }}
{{- end -}}

{{/* The support chart's Redis. Argument: its entry of dalp-common.bundled. */}}
{{- define "dalp.env.redis.bundled" }}
- name: CACHE_URL
  value: {{ printf "redis://%s:%v/0" .name .port | quote }}
- name: CACHE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .keys.password }}
{{- end -}}

{{/* External S3-compatible or Azure Blob storage. Argument: dict "context" $ "config" <dalp.datastore>. */}}
{{- define "dalp.env.objectStorage.external" -}}
{{- $c := .config -}}
{{- $k := $c.existingSecretKeys | default dict -}}
{{- $s := $c.existingSecret -}}
{{- if eq $c.driver "azure" }}
{{- if not (and $s $k.connectionString) }}{{ fail "dalp: global.datastores.dapp.objectStorage.existingSecret (with existingSecretKeys.connectionString) is required for driver azure" }}{{ end }}
- name: OBJECT_STORE_DRIVER
  value: azure
- name: AZURE_STORAGE_CONTAINER
  value: {{ $c.bucket | quote }}
{{- include "dalp.env.var" (dict "name" "AZURE_STORAGE_CONNECTION_STRING" "secret" $s "key" $k.connectionString) }}
{{- else if eq $c.driver "s3" }}
- name: OBJECT_STORE_DRIVER
  value: s3
{{- include "dalp.env.var" (dict "name" "S3_ENDPOINT" "value" $c.endpoint) }}
{{- include "dalp.env.var" (dict "name" "S3_REGION" "value" $c.region) }}
- name: S3_BUCKET
  value: {{ $c.bucket | quote }}
{{- include "dalp.env.var" (dict "name" "S3_PREFIX" "value" $c.prefix) }}
- name: S3_FORCE_PATH_STYLE
  value: {{ ternary "true" "false" (eq (toString $c.forcePathStyle) "true") | quote }}
{{- if not $c.useWorkloadIdentity }}
{{- if not $s }}{{ fail "dalp: global.datastores.dapp.objectStorage.existingSecret is required for S3 static credentials (or set objectStorage.useWorkloadIdentity: true)" }}{{ end }}
{{- include "dalp.env.var" (dict "name" "S3_ACCESS_KEY_ID" "secret" $s "key" $k.accessKeyId) }}
{{- include "dalp.env.var" (dict "name" "S3_SECRET_ACCESS_KEY" "secret" $s "key" $k.secretAccessKey) }}
{{- end }}
{{- else }}
{{- fail (printf "dalp: global.datastores.dapp.objectStorage.driver must be s3 or azure (got %q)" (toString $c.driver)) }}
{{- end }}
{{- end -}}

{{/* The support chart's RustFS. Argument: its entry of dalp-common.bundled. */}}
{{- define "dalp.env.objectStorage.bundled" }}
- name: OBJECT_STORE_DRIVER
  value: s3
- name: S3_ENDPOINT
  value: {{ printf "http://%s:%v" .name .port | quote }}
- name: S3_REGION
  value: us-east-1
- name: S3_BUCKET
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .keys.bucket }}
- name: S3_FORCE_PATH_STYLE
  value: "true"
# The bundled RustFS starts empty: the dapp creates its bucket at start (a no-op once it exists).
- name: OBJECT_STORE_CREATE_BUCKET
  value: "true"
- name: S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .keys.accessKeyId }}
- name: S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .keys.secretAccessKey }}
{{- end -}}
