{{/* CA bundles of the data services. */}}

{{/*
CA bundles of the data services, and the external PostgreSQL's password with `passwordFile`, mounted
read-only where the env variables point. The password is a whole Secret volume, never a subPath mount:
the kubelet updates a Secret volume's files in place when the Secret changes (a rotation), but never a
file mounted with subPath.
*/}}
{{- define "dalp.tlsVolumes" -}}
{{- $pg := include "dalp.datastore" (dict "global" .Values.global "service" "postgresql") | fromJson -}}
{{- $redis := include "dalp.datastore" (dict "global" .Values.global "service" "redis") | fromJson -}}
{{- if and $pg.passwordFile (include "dalp.datastore.external" (dict "global" .Values.global "service" "postgresql")) }}
{{- $keys := $pg.existingSecretKeys | default dict }}
- name: postgresql-password
  secret:
    {{- if and $pg.existingSecret $keys.password }}
    secretName: {{ $pg.existingSecret }}
    items:
      - key: {{ $keys.password }}
        path: password
    {{- else }}
    secretName: {{ include "dalp.secretName" . }}
    items:
      - key: postgresql-password
        path: password
    {{- end }}
{{- end }}
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
{{- if and $pg.passwordFile (include "dalp.datastore.external" (dict "global" .Values.global "service" "postgresql")) }}
- name: postgresql-password
  mountPath: /etc/dalp/secrets/postgresql
  readOnly: true
{{- end }}
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

