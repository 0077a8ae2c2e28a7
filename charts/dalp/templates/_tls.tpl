{{/* CA bundles of the data services. */}}

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

