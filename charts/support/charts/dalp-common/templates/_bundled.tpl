{{/*
The contract between the dalp chart and the support chart, defined here once: the bundled data services,
each a Service named after the release (so the dalp chart of the same release finds it without a lookup),
its port, the keys of the Secret of the same name that hold its credentials, and why it is a singleton
(read by `dalp check`). The support subcharts create them from this; the dalp chart connects to them from
this. Argument: dict "context" $ "service" "postgresql|redis|rustfs"; returns JSON.
*/}}
{{- define "dalp-common.bundled" -}}
{{- $services := dict
  "postgresql" (dict
    "port" 5432
    "keys" (dict "username" "username" "database" "database" "password" "password")
    "singletonReason" "bundled PostgreSQL for local and staging use: one instance, no replication or failover; use managed PostgreSQL with HA and PITR in production")
  "redis" (dict
    "port" 6379
    "keys" (dict "password" "password")
    "singletonReason" "bundled Redis for local and staging use: one instance, no Sentinel or replica; use a managed Redis or Valkey with failover in production")
  "rustfs" (dict
    "port" 9000
    "keys" (dict "accessKeyId" "access-key-id" "secretAccessKey" "secret-access-key" "bucket" "bucket")
    "singletonReason" "bundled RustFS for local and staging use: one instance on one volume, no replication; use provider object storage in production")
-}}
{{- $service := get $services .service -}}
{{- if not $service -}}
{{- fail (printf "dalp-common: %q is not a bundled data service (postgresql, redis, rustfs)" .service) -}}
{{- end -}}
{{- $name := printf "%s-%s" .context.Release.Name .service | trunc 63 | trimSuffix "-" -}}
{{- toJson (merge (dict "name" $name) $service) -}}
{{- end -}}

{{/* The bundled service behind each data service of the dapp. Argument: "postgresql|redis|objectStorage". */}}
{{- define "dalp-common.bundled.serviceFor" -}}
{{- get (dict "postgresql" "postgresql" "redis" "redis" "objectStorage" "rustfs") . -}}
{{- end -}}
