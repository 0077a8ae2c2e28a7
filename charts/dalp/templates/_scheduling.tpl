{{/* Tolerations and topology spread constraints. */}}

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

