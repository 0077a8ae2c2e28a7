// Probes and lifecycle: probes, rollouts and graceful shutdown.
import type { Rule } from '../rule.ts';
import { rule as livenessIndependent } from './liveness-independent.ts';
import { rule as probeLiveness } from './probe-liveness.ts';
import { rule as probePortNamed } from './probe-port-named.ts';
import { rule as probeReadiness } from './probe-readiness.ts';
import { rule as rollingUpdateCapacity } from './rolling-update-capacity.ts';
import { rule as terminationGrace } from './termination-grace.ts';

/** This area's rules, in report order. */
export const rules: readonly Rule[] = [
  probeReadiness,
  probeLiveness,
  livenessIndependent,
  probePortNamed,
  rollingUpdateCapacity,
  terminationGrace,
];
