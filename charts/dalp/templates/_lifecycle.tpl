{{/* Probes, shutdown timing, the disruption budget, and when migrations run. */}}

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

{{- define "dalp.migrationMode" -}}
{{- $mode := .Values.dapp.migration.mode -}}
{{- if not (has $mode (list "initContainer" "job" "onStart")) -}}
{{- fail (printf "dalp: dapp.migration.mode must be initContainer, job or onStart (got %q)" (toString $mode)) -}}
{{- end -}}
{{- $mode -}}
{{- end -}}
