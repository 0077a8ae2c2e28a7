// Every rule, in the order reports and docs/checks.md list them (grouped by row).
import type { Rule } from '../types.ts';
import { rule as alertCoverage } from './alert-coverage.ts';
import { rule as bundledCache } from './bundled-cache.ts';
import { rule as bundledObjectStorage } from './bundled-object-storage.ts';
import { rule as bundledPostgresql } from './bundled-postgresql.ts';
import { rule as cacheTls } from './cache-tls.ts';
import { rule as controlsAlert } from './controls-alert.ts';
import { rule as controlsOwner } from './controls-owner.ts';
import { rule as controlsRecoveryTest } from './controls-recovery-test.ts';
import { rule as credentialsPlain } from './credentials-plain.ts';
import { rule as databaseTls } from './database-tls.ts';
import { rule as hpaMinReplicas } from './hpa-min-replicas.ts';
import { rule as imageTagPinned } from './image-tag-pinned.ts';
import { rule as livenessIndependent } from './liveness-independent.ts';
import { rule as nodesZoneSpan } from './nodes-zone-span.ts';
import { rule as pdbAllowsEviction } from './pdb-allows-eviction.ts';
import { rule as pdbMissing } from './pdb-missing.ts';
import { rule as pdbSelectsPods } from './pdb-selects-pods.ts';
import { rule as placementPinned } from './placement-pinned.ts';
import { rule as podSecurityRestricted } from './pod-security-restricted.ts';
import { rule as probeLiveness } from './probe-liveness.ts';
import { rule as probePortNamed } from './probe-port-named.ts';
import { rule as probeReadiness } from './probe-readiness.ts';
import { rule as recoveryMethod } from './recovery-method.ts';
import { rule as replicasConcentrated } from './replicas-concentrated.ts';
import { rule as replicasMinTwo } from './replicas-min-two.ts';
import { rule as resourcesMemoryLimit } from './resources-memory-limit.ts';
import { rule as resourcesRequests } from './resources-requests.ts';
import { rule as rollingUpdateCapacity } from './rolling-update-capacity.ts';
import { rule as singletonDependencies } from './singleton-dependencies.ts';
import { rule as spreadHostname } from './spread-hostname.ts';
import { rule as spreadZone } from './spread-zone.ts';
import { rule as terminationGrace } from './termination-grace.ts';
import { rule as tolerationEviction } from './toleration-eviction.ts';
import { rule as veleroBackups } from './velero-backups.ts';
import { rule as zoneLossCapacity } from './zone-loss-capacity.ts';

export const RULES: readonly Rule[] = [
  replicasMinTwo,
  hpaMinReplicas,
  pdbMissing,
  pdbSelectsPods,
  pdbAllowsEviction,
  singletonDependencies,
  spreadHostname,
  spreadZone,
  placementPinned,
  tolerationEviction,
  nodesZoneSpan,
  replicasConcentrated,
  zoneLossCapacity,
  probeReadiness,
  probeLiveness,
  livenessIndependent,
  probePortNamed,
  rollingUpdateCapacity,
  terminationGrace,
  resourcesRequests,
  resourcesMemoryLimit,
  bundledPostgresql,
  databaseTls,
  bundledCache,
  cacheTls,
  bundledObjectStorage,
  credentialsPlain,
  recoveryMethod,
  veleroBackups,
  alertCoverage,
  podSecurityRestricted,
  imageTagPinned,
  controlsOwner,
  controlsAlert,
  controlsRecoveryTest,
];
