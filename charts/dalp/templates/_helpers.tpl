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

{{- define "dalp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dalp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: dapp
{{- end -}}

{{- define "dalp.labels" -}}
{{ include "dalp.selectorLabels" . }}
helm.sh/chart: {{ include "dalp.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dalp
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "dalp.annotations" -}}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "dalp.serviceAccountName" -}}
{{- if .Values.dapp.serviceAccount.create -}}
{{- default (include "dalp.fullname" .) .Values.dapp.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.dapp.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image reference; a floating `latest` tag would make rollbacks and HA drills unreproducible. */}}
{{- define "dalp.image" -}}
{{- $img := .Values.dapp.image -}}
{{- $registry := default $img.registry .Values.global.imageRegistry -}}
{{- $tag := toString (default .Chart.AppVersion $img.tag) -}}
{{- if eq $tag "latest" -}}
{{- fail "dalp: dapp.image.tag must not be `latest`: pin a version (empty uses the chart appVersion) or set dapp.image.digest" -}}
{{- end -}}
{{- $repo := $img.repository -}}
{{- if $registry }}{{ $repo = printf "%s/%s" $registry $img.repository }}{{ end -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $repo $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end -}}

{{- define "dalp.imagePullSecrets" -}}
{{- $secrets := concat (.Values.global.imagePullSecrets | default list) (.Values.dapp.image.pullSecrets | default list) | uniq -}}
{{- if $secrets }}
imagePullSecrets:
{{- range $secrets }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Affinity presets. Arguments: dict "preset" "soft|hard|" "kind" "podAntiAffinity|podAffinity" "context" $.
soft = preferred with weight 1, hard = required; both keyed on the node hostname.
*/}}
{{- define "dalp.affinity.pod" -}}
{{- $selector := include "dalp.selectorLabels" .context | fromYaml -}}
{{- if eq .preset "soft" }}
{{ .kind }}:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 1
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- toYaml $selector | nindent 12 }}
{{- else if eq .preset "hard" }}
{{ .kind }}:
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- toYaml $selector | nindent 10 }}
{{- else if ne .preset "" }}
{{- fail (printf "dalp: dapp.%sPreset must be one of \"\", \"soft\", \"hard\" (got %q)" .kind .preset) }}
{{- end }}
{{- end -}}

{{- define "dalp.affinity.node" -}}
{{- $p := .Values.dapp.nodeAffinityPreset -}}
{{- if eq $p.type "soft" }}
nodeAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 1
      preference:
        matchExpressions:
          - key: {{ required "dalp: dapp.nodeAffinityPreset.key is required when dapp.nodeAffinityPreset.type is set" $p.key | quote }}
            operator: In
            values:
              {{- toYaml $p.values | nindent 14 }}
{{- else if eq $p.type "hard" }}
nodeAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    nodeSelectorTerms:
      - matchExpressions:
          - key: {{ required "dalp: dapp.nodeAffinityPreset.key is required when dapp.nodeAffinityPreset.type is set" $p.key | quote }}
            operator: In
            values:
              {{- toYaml $p.values | nindent 14 }}
{{- else if ne $p.type "" }}
{{- fail (printf "dalp: dapp.nodeAffinityPreset.type must be one of \"\", \"soft\", \"hard\" (got %q)" $p.type) }}
{{- end }}
{{- if and (ne $p.type "") (empty $p.values) }}
{{- fail "dalp: dapp.nodeAffinityPreset.values must list at least one value when dapp.nodeAffinityPreset.type is set" }}
{{- end }}
{{- end -}}

{{- define "dalp.affinity" -}}
{{- if .Values.dapp.affinity -}}
{{- toYaml .Values.dapp.affinity -}}
{{- else -}}
{{- $out := dict -}}
{{- $anti := include "dalp.affinity.pod" (dict "preset" (toString .Values.dapp.podAntiAffinityPreset) "kind" "podAntiAffinity" "context" .) | fromYaml -}}
{{- $co := include "dalp.affinity.pod" (dict "preset" (toString .Values.dapp.podAffinityPreset) "kind" "podAffinity" "context" .) | fromYaml -}}
{{- $node := include "dalp.affinity.node" . | fromYaml -}}
{{- $out = merge $out $anti $co $node -}}
{{- if $out }}{{ toYaml $out }}{{ end -}}
{{- end -}}
{{- end -}}

{{/* User tolerations plus the node-failure ones, unless the user already tolerates that taint. */}}
{{- define "dalp.tolerations" -}}
{{- $list := list -}}
{{- $keys := list -}}
{{- range .Values.dapp.tolerations }}
{{- $list = append $list . -}}
{{- $keys = append $keys (.key | default "") -}}
{{- end }}
{{- $taints := dict "node.kubernetes.io/not-ready" .Values.dapp.nodeNotReadyTolerationSeconds "node.kubernetes.io/unreachable" .Values.dapp.nodeUnreachableTolerationSeconds -}}
{{- range $key := list "node.kubernetes.io/not-ready" "node.kubernetes.io/unreachable" }}
{{- $seconds := get $taints $key -}}
{{- if and (not (kindIs "invalid" $seconds)) (not (has $key $keys)) }}
{{- $list = append $list (dict "key" $key "operator" "Exists" "effect" "NoExecute" "tolerationSeconds" (int $seconds)) -}}
{{- end }}
{{- end }}
{{- if $list }}{{ toYaml $list }}{{ end -}}
{{- end -}}

{{- define "dalp.topologySpreadConstraints" -}}
{{- $selector := include "dalp.selectorLabels" . | fromYaml -}}
{{- $out := list -}}
{{- range .Values.dapp.topologySpreadConstraints }}
{{- $c := deepCopy . -}}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $selector) -}}
{{- end }}
{{- $out = append $out $c -}}
{{- end }}
{{- if $out }}{{ toYaml $out }}{{ end -}}
{{- end -}}

{{/*
Shutdown timing. The grace period has to cover the preStop sleep, the drain delay and the in-flight
timeout; a shorter one makes the kubelet SIGKILL requests that were still being served.
*/}}
{{- define "dalp.shutdown.minimumGrace" -}}
{{- $s := .Values.dapp.shutdown -}}
{{- add (int $s.preStopSleepSeconds) (int $s.drainDelaySeconds) (int $s.timeoutSeconds) -}}
{{- end -}}

{{- define "dalp.shutdown.gracePeriod" -}}
{{- $s := .Values.dapp.shutdown -}}
{{- $min := include "dalp.shutdown.minimumGrace" . | int -}}
{{- if kindIs "invalid" $s.terminationGracePeriodSeconds -}}
{{- add $min 5 -}}
{{- else -}}
{{- $grace := int $s.terminationGracePeriodSeconds -}}
{{- if lt $grace $min -}}
{{- fail (printf "dalp: dapp.shutdown.terminationGracePeriodSeconds (%d) is shorter than preStopSleepSeconds + drainDelaySeconds + timeoutSeconds (%d): in-flight requests would be killed" $grace $min) -}}
{{- end -}}
{{- $grace -}}
{{- end -}}
{{- end -}}

{{/* A disruption budget that allows no eviction at all blocks node drains and cluster upgrades. */}}
{{- define "dalp.pdb.validate" -}}
{{- $pdb := .Values.dapp.podDisruptionBudget -}}
{{- $replicas := int (ternary .Values.dapp.autoscaling.minReplicas .Values.dapp.replicaCount .Values.dapp.autoscaling.enabled) -}}
{{- $max := toString $pdb.maxUnavailable -}}
{{- $min := toString $pdb.minAvailable -}}
{{- if and (ne $max "") (ne $min "") (ne $max "<nil>") (ne $min "<nil>") -}}
{{- fail "dalp: set only one of dapp.podDisruptionBudget.minAvailable and dapp.podDisruptionBudget.maxUnavailable" -}}
{{- end -}}
{{- if and (ne $max "") (ne $max "<nil>") -}}
{{- if or (eq $max "0") (eq $max "0%") -}}
{{- fail "dalp: dapp.podDisruptionBudget.maxUnavailable 0 blocks every voluntary eviction (node drains, upgrades): use 1 or more" -}}
{{- end -}}
{{- else if and (ne $min "") (ne $min "<nil>") -}}
{{- if eq $min "100%" -}}
{{- fail "dalp: dapp.podDisruptionBudget.minAvailable 100% blocks every voluntary eviction (node drains, upgrades)" -}}
{{- end -}}
{{- if and (not (hasSuffix "%" $min)) (ge (int $min) $replicas) -}}
{{- fail (printf "dalp: dapp.podDisruptionBudget.minAvailable (%s) must be lower than the replica count (%d), otherwise no pod can ever be evicted" $min $replicas) -}}
{{- end -}}
{{- else -}}
{{- fail "dalp: dapp.podDisruptionBudget needs minAvailable or maxUnavailable" -}}
{{- end -}}
{{- end -}}

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
{{- range $service, $bundle := dict "postgresql" "postgresql" "redis" "redis" "objectStorage" "rustfs" }}
{{- $enabled := and $supportOn (get $support $bundle | default dict).enabled -}}
{{- if and (not $enabled) (not (include "dalp.datastore.external" (dict "global" $global "service" $service))) }}
{{- $missing = append $missing (printf "%s is required because support.%s.enabled is false" (include "dalp.datastore.missingKey" (dict "service" $service)) $bundle) -}}
{{- end }}
{{- end }}
{{- if $missing }}
{{- fail (printf "%s: missing external data service settings: %s" .Chart.Name (join "; " $missing)) }}
{{- end }}
{{- end -}}

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

{{- define "dalp.bundledName" -}}
{{- printf "%s-%s" .context.Release.Name .service | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Secret key names of the chart's own Secret (inline credentials only). */}}
{{- define "dalp.secretName" -}}
{{- printf "%s-credentials" (include "dalp.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dalp.env.postgresql" -}}
{{- $g := dict "global" .Values.global "service" "postgresql" -}}
{{- if include "dalp.datastore.external" $g -}}
{{- $c := include "dalp.datastore" $g | fromJson -}}
{{- $k := $c.existingSecretKeys | default dict -}}
{{- $s := $c.existingSecret -}}
{{- if not (or $c.database (and $s $k.database)) }}{{ fail "dalp: global.datastores.dapp.postgresql.database (or global.datastores.default.postgresql.database) is required for an external PostgreSQL" }}{{ end -}}
{{- if not (or $c.username (and $s $k.username)) }}{{ fail "dalp: global.datastores.dapp.postgresql.username (or global.datastores.default.postgresql.username) is required for an external PostgreSQL" }}{{ end -}}
{{- if not (or $c.password (and $s $k.password)) }}{{ fail "dalp: global.datastores.dapp.postgresql.existingSecret with existingSecretKeys.password (or an inline password) is required for an external PostgreSQL" }}{{ end -}}
{{- include "dalp.env.var" (dict "name" "DATABASE_HOST" "value" $c.host "secret" $s "key" $k.host) }}
{{- include "dalp.env.var" (dict "name" "DATABASE_PORT" "value" $c.port "secret" $s "key" $k.port) }}
{{- include "dalp.env.var" (dict "name" "DATABASE_NAME" "value" $c.database "secret" $s "key" $k.database) }}
{{- include "dalp.env.var" (dict "name" "DATABASE_USER" "value" $c.username "secret" $s "key" $k.username) }}
{{- if and $s $k.password }}
{{- include "dalp.env.var" (dict "name" "DATABASE_PASSWORD" "secret" $s "key" $k.password) }}
{{- else }}
{{- include "dalp.env.var" (dict "name" "DATABASE_PASSWORD" "secret" (include "dalp.secretName" .) "key" "postgresql-password") }}
{{- end }}
{{- if and (has (toString $c.sslMode) (list "verify-ca" "verify-full")) (not $c.sslRootCertSecret) }}
{{- fail (printf "dalp: global.datastores.dapp.postgresql.sslRootCertSecret (or global.datastores.default.postgresql.sslRootCertSecret) is required with sslMode %s: the dapp needs the CA bundle to verify the server" $c.sslMode) }}
{{- end }}
{{- include "dalp.env.var" (dict "name" "DATABASE_SSLMODE" "value" $c.sslMode) }}
{{- if $c.sslRootCertSecret }}
- name: DATABASE_SSLROOTCERT
  value: /etc/dalp/tls/postgresql/ca.crt
{{- end }}
{{- else if .Values.global.bundledDatastores.postgresql }}
{{- $name := include "dalp.bundledName" (dict "context" . "service" "postgresql") }}
- name: DATABASE_HOST
  value: {{ $name }}
- name: DATABASE_PORT
  value: "5432"
- name: DATABASE_NAME
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: database
- name: DATABASE_USER
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: username
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: password
- name: DATABASE_SSLMODE
  value: disable
{{- else }}
{{- fail (printf "dalp: %s is required: no external PostgreSQL is configured and no bundled one is enabled (global.bundledDatastores.postgresql)" (include "dalp.datastore.missingKey" $g)) }}
{{- end }}
{{- end -}}

{{- define "dalp.env.redis" -}}
{{- $g := dict "global" .Values.global "service" "redis" -}}
{{- if include "dalp.datastore.external" $g -}}
{{- $c := include "dalp.datastore" $g | fromJson -}}
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
{{- include "dalp.env.var" (dict "name" "CACHE_PASSWORD" "secret" (include "dalp.secretName" .) "key" "redis-password") }}
{{- end }}
- name: CACHE_TLS
  value: {{ ternary "true" "false" (eq (toString $tls.enabled) "true") | quote }}
{{- if $tls.caSecret }}
- name: CACHE_TLS_CA_FILE
  value: /etc/dalp/tls/cache/ca.crt
{{- end }}
{{- else if .Values.global.bundledDatastores.redis }}
{{- $name := include "dalp.bundledName" (dict "context" . "service" "redis") }}
- name: CACHE_URL
  value: {{ printf "redis://%s:6379/0" $name | quote }}
- name: CACHE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: password
{{- else }}
{{- fail (printf "dalp: %s is required: no external Redis/Valkey is configured and no bundled one is enabled (global.bundledDatastores.redis)" (include "dalp.datastore.missingKey" $g)) }}
{{- end }}
{{- end -}}

{{- define "dalp.env.objectStorage" -}}
{{- $g := dict "global" .Values.global "service" "objectStorage" -}}
{{- if include "dalp.datastore.external" $g -}}
{{- $c := include "dalp.datastore" $g | fromJson -}}
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
{{- else if .Values.global.bundledDatastores.rustfs }}
{{- $name := include "dalp.bundledName" (dict "context" . "service" "rustfs") }}
- name: OBJECT_STORE_DRIVER
  value: s3
- name: S3_ENDPOINT
  value: {{ printf "http://%s:9000" $name | quote }}
- name: S3_REGION
  value: us-east-1
- name: S3_BUCKET
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: bucket
- name: S3_FORCE_PATH_STYLE
  value: "true"
# The bundled RustFS starts empty: the dapp creates its bucket at start (a no-op once it exists).
- name: OBJECT_STORE_CREATE_BUCKET
  value: "true"
- name: S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: access-key-id
- name: S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: secret-access-key
{{- else }}
{{- fail (printf "dalp: %s is required: no external object storage is configured and no bundled one is enabled (global.bundledDatastores.rustfs)" (include "dalp.datastore.missingKey" $g)) }}
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
- name: SHUTDOWN_DRAIN_DELAY_MS
  value: {{ mul (int $d.shutdown.drainDelaySeconds) 1000 | quote }}
- name: SHUTDOWN_TIMEOUT_MS
  value: {{ mul (int $d.shutdown.timeoutSeconds) 1000 | quote }}
- name: CACHE_TTL_SECONDS
  value: {{ $d.config.cacheTtlSeconds | quote }}
- name: RATE_LIMIT_PER_MINUTE
  value: {{ $d.config.rateLimitPerMinute | quote }}
- name: DATABASE_POOL_MAX
  value: {{ $d.config.databasePoolMax | quote }}
- name: DATABASE_CONNECT_TIMEOUT_MS
  value: {{ $d.config.databaseConnectTimeoutMs | quote }}
- name: DATABASE_STATEMENT_TIMEOUT_MS
  value: {{ $d.config.databaseStatementTimeoutMs | quote }}
{{- with $d.config.bootstrapAdminKey }}
{{- if .existingSecret }}
- name: DALP_BOOTSTRAP_ADMIN_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- include "dalp.env.postgresql" $ }}
{{- include "dalp.env.redis" $ }}
{{- include "dalp.env.objectStorage" $ }}
{{- with $d.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* CA bundles of the data services, mounted read-only where the env variables point. */}}
{{- define "dalp.tlsVolumes" -}}
{{- $pg := include "dalp.datastore" (dict "global" .Values.global "service" "postgresql") | fromJson -}}
{{- $redis := include "dalp.datastore" (dict "global" .Values.global "service" "redis") | fromJson -}}
{{- if $pg.sslRootCertSecret }}
- name: postgresql-ca
  secret:
    secretName: {{ $pg.sslRootCertSecret }}
{{- end }}
{{- if ($redis.tls | default dict).caSecret }}
- name: cache-ca
  secret:
    secretName: {{ $redis.tls.caSecret }}
{{- end }}
{{- end -}}

{{- define "dalp.tlsVolumeMounts" -}}
{{- $pg := include "dalp.datastore" (dict "global" .Values.global "service" "postgresql") | fromJson -}}
{{- $redis := include "dalp.datastore" (dict "global" .Values.global "service" "redis") | fromJson -}}
{{- if $pg.sslRootCertSecret }}
- name: postgresql-ca
  mountPath: /etc/dalp/tls/postgresql
  readOnly: true
{{- end }}
{{- if ($redis.tls | default dict).caSecret }}
- name: cache-ca
  mountPath: /etc/dalp/tls/cache
  readOnly: true
{{- end }}
{{- end -}}

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

{{- define "dalp.probe" -}}
{{- $p := .probe -}}
{{- if not (has $p.type (list "tcp" "http")) -}}
{{- fail (printf "dalp: dapp.%s.type must be tcp or http (got %q)" .name (toString $p.type)) -}}
{{- end -}}
{{- if eq $p.type "http" }}
httpGet:
  path: {{ $p.path }}
  port: http
{{- else }}
tcpSocket:
  port: http
{{- end }}
initialDelaySeconds: {{ $p.initialDelaySeconds }}
periodSeconds: {{ $p.periodSeconds }}
timeoutSeconds: {{ $p.timeoutSeconds }}
failureThreshold: {{ $p.failureThreshold }}
successThreshold: {{ $p.successThreshold }}
{{- end -}}

{{- define "dalp.migrationMode" -}}
{{- $mode := .Values.dapp.migration.mode -}}
{{- if not (has $mode (list "initContainer" "job" "onStart")) -}}
{{- fail (printf "dalp: dapp.migration.mode must be initContainer, job or onStart (got %q)" (toString $mode)) -}}
{{- end -}}
{{- $mode -}}
{{- end -}}
