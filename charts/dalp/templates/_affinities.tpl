{{/* Affinity presets (pod anti-affinity, pod affinity, node affinity) and the raw override. */}}

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

