{{/* The dapp image and the secrets to pull it. */}}

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

