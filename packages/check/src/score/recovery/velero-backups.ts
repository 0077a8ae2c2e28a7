import type { KubeObject } from '../../model/objects.ts';
import { refOf } from '../../model/objects.ts';
import { fail, pass } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

const HOUR_MS = 60 * 60 * 1000;
/** A daily schedule that missed one run is late; two missed runs is a broken backup. */
const MAX_AGE_HOURS = 48;

function timeOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

export const rule: Rule = {
  id: 'velero-backups',
  categories: ['Kubernetes resources'],
  severity: 'error',
  title: 'Velero schedules produce recent, complete backups',
  why: 'A Velero Schedule proves nothing by existing: failed validation, a failing storage location or partially failed backups leave the namespace unrecoverable while the chart looks right. The dump’s Backup objects show what actually ran.',
  fix: 'Inspect the schedule and its latest backup (velero backup describe --details), fix the storage location or credentials, and keep the newest completed backup younger than 48 hours.',
  needsClusterState: true,
  check(ctx) {
    const now = ctx.options.now.getTime();
    const backups = ctx.ofKind('Backup').filter((b) => (b.apiVersion ?? '').startsWith('velero.io/'));
    return ctx
      .ofKind('Schedule')
      .filter((s) => (s.apiVersion ?? '').startsWith('velero.io/'))
      .map((schedule) => {
        const ref = refOf(schedule);
        const name = schedule.metadata?.name;
        if (schedule.status?.phase === 'FailedValidation') {
          return fail(
            ref,
            `schedule failed validation: ${(schedule.status?.validationErrors ?? []).join('; ')}`,
          );
        }
        const own = backups
          .filter((b) => b.metadata?.labels?.['velero.io/schedule-name'] === name)
          .map((b: KubeObject) => ({
            name: b.metadata?.name ?? '?',
            phase: String(b.status?.phase ?? 'Unknown'),
            at: timeOf(b.status?.completionTimestamp) ?? timeOf(b.status?.startTimestamp) ?? 0,
          }))
          .sort((a, b) => b.at - a.at);
        const latest = own[0];
        const lastCompleted = own.find((b) => b.phase === 'Completed');
        if (!latest) return fail(ref, 'no backup of this schedule in the dump');
        if (latest.phase !== 'Completed' && latest.phase !== 'InProgress' && latest.phase !== 'New') {
          return fail(ref, `latest backup ${latest.name} is ${latest.phase}`);
        }
        if (!lastCompleted) return fail(ref, 'no completed backup of this schedule');
        const ageHours = Math.floor((now - lastCompleted.at) / HOUR_MS);
        if (ageHours > MAX_AGE_HOURS) {
          return fail(
            ref,
            `newest completed backup ${lastCompleted.name} is ${ageHours} hours old (bound ${MAX_AGE_HOURS})`,
          );
        }
        return pass(ref);
      });
  },
};
