// Every drill scenario, in the order `dalp drill all` runs them (the cheap pod faults first, the zone
// and data-service faults after, the tier rebuild, and last the restores, which lose the database and
// rebuild it from the backups). A new scenario is a file in scenarios/ and a line here.
import type { Scenario } from './scenario.ts';
import { appTierRebuild } from './scenarios/app-tier-rebuild.ts';
import { cacheFailover } from './scenarios/cache-failover.ts';
import { credentialRotation } from './scenarios/credential-rotation.ts';
import { databaseFailover } from './scenarios/database-failover.ts';
import { nodeLoss } from './scenarios/node-loss.ts';
import { objectStoreOutage } from './scenarios/object-store-outage.ts';
import { podCrash } from './scenarios/pod-crash.ts';
import { podHang } from './scenarios/pod-hang.ts';
import { restoreLatest, restorePitr } from './scenarios/restore.ts';
import { rollingUpdate } from './scenarios/rolling-update.ts';
import { zoneLoss } from './scenarios/zone-loss.ts';
import { zonePartition } from './scenarios/zone-partition.ts';

export const SCENARIOS: readonly Scenario[] = [
  podCrash,
  podHang,
  rollingUpdate,
  cacheFailover,
  objectStoreOutage,
  databaseFailover,
  credentialRotation,
  nodeLoss,
  zoneLoss,
  zonePartition,
  appTierRebuild,
  // Last: they lose the database and rebuild it from the backups (minus the unarchived tail).
  restorePitr,
  restoreLatest,
];

export function scenario(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id);
}

/** A drill asked for in a way that cannot run: the CLI's exit 2. */
export class DrillUsageError extends Error {
  override name = 'DrillUsageError';
}

/**
 * The scenarios `dalp drill <name>` runs on a target: one by id, or `all`. A scenario whose fault on the
 * target is a user command needs --fault-command: asked for alone, that is a usage error; under `all`
 * it is skipped (and named in `skipped`), since one command cannot be every scenario's fault.
 */
export function selectScenarios(
  name: string,
  target: 'lab' | 'kubernetes',
  faultCommand: boolean,
): { run: Scenario[]; skipped: { id: string; why: string }[] } {
  const fault = (s: Scenario) => (target === 'lab' ? s.lab : s.kubernetes);
  if (name === 'all') {
    if (faultCommand) throw new DrillUsageError('--fault-command goes with one scenario, not with "all"');
    const skipped = SCENARIOS.filter((s) => !fault(s) || fault(s)?.needsFaultCommand).map((s) => ({
      id: s.id,
      why: fault(s) ? 'needs --fault-command on this target' : `has no ${target} fault`,
    }));
    return { run: SCENARIOS.filter((s) => fault(s) && !fault(s)?.needsFaultCommand), skipped };
  }
  const found = scenario(name);
  if (!found)
    throw new DrillUsageError(
      `unknown scenario "${name}"; scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}, or all`,
    );
  const f = fault(found);
  if (!f) throw new DrillUsageError(`${name} has no fault for the ${target} target`);
  if (f.needsFaultCommand && !faultCommand)
    throw new DrillUsageError(
      `${name} on ${target} needs --fault-command (the command that causes the fault)`,
    );
  if (!f.needsFaultCommand && faultCommand)
    throw new DrillUsageError(
      `${name} on ${target} injects its own fault; --fault-command is for ${SCENARIOS.filter(
        (s) => (target === 'lab' ? s.lab : s.kubernetes)?.needsFaultCommand,
      )
        .map((s) => s.id)
        .join(', ')}`,
    );
  return { run: [found], skipped: [] };
}
