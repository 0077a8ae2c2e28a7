// Scheduling posture: spread over nodes and zones, pinning, eviction, zone capacity.
import type { Rule } from '../rule.ts';
import { rule as nodesZoneSpan } from './nodes-zone-span.ts';
import { rule as placementPinned } from './placement-pinned.ts';
import { rule as replicasConcentrated } from './replicas-concentrated.ts';
import { rule as spreadHostname } from './spread-hostname.ts';
import { rule as spreadZone } from './spread-zone.ts';
import { rule as tolerationEviction } from './toleration-eviction.ts';
import { rule as zoneLossCapacity } from './zone-loss-capacity.ts';
import { rule as zoneLossVolumes } from './zone-loss-volumes.ts';

/** This area's rules, in report order. */
export const rules: readonly Rule[] = [
  spreadHostname,
  spreadZone,
  placementPinned,
  tolerationEviction,
  nodesZoneSpan,
  replicasConcentrated,
  zoneLossCapacity,
  zoneLossVolumes,
];
