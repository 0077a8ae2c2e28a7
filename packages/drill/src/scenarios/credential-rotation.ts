// Credential rotation: the database password changes while the workload runs, the way a secrets
// manager's single-user rotation does it: the new password set on the server (ALTER ROLE, as superuser on
// the Patroni primary), then in the secret the replicas read (the lab's password file, as a Kubernetes
// Secret volume is updated in place), a grace period, then the old one revoked. With one role the old
// password stops logging in at the ALTER already; what a revocation adds is ending the sessions that
// logged in with it, as a revocation that kicks live sessions does (pg_terminate_backend on every session
// of the role), which is what makes a replica that cannot follow the secret visible: it cannot log in
// again. docs/drills.md and docs/operations.md say how this maps to managed rotations.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { FaultContext, Scenario } from '../scenario.ts';
import type { LabTarget } from '../targets/lab.ts';

/** How long each replica is given to answer a database read with the new password after revocation. */
const RECONNECT_TIMEOUT_MS = 15_000;

/** The session pids of the application's role, and when the oldest of them logged in. */
async function roleSessions(target: LabTarget): Promise<{ count: number; before: (at: number) => number }> {
  const rows = await target.lab.adminQuery<{ started: Date }>(
    `SELECT backend_start AS started FROM pg_stat_activity WHERE usename = 'dalp'`,
  );
  return {
    count: rows.length,
    before: (at) => rows.filter((r) => r.started.getTime() < at).length,
  };
}

/** True when the database refuses `password` for the role (28P01), false when it logs in. */
async function passwordRefused(target: LabTarget, password: string): Promise<boolean> {
  const url = new URL(target.lab.endpoints().database);
  url.password = password;
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end().catch(() => undefined);
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') return true;
    throw error;
  }
}

/**
 * Asks each replica, directly (not through the load balancer, which takes one that cannot log in out of
 * service and so hides it), for a database read: after the revocation every session of the role was
 * ended, so a replica that answers logged in again, with the password now in the secret. Returns the ones
 * that did not. (The drill starts on a healthy lab and the rotation stops no replica: each must answer.)
 */
async function replicasNotReconnected(target: LabTarget): Promise<string[]> {
  const { adminKey } = target.lab.endpoints();
  const { poweredOff } = target.lab.refresh();
  const replicas = target.lab.components().filter((c) => c.kind === 'dapp' && !poweredOff.includes(c.node));
  const failed: string[] = [];
  await Promise.all(
    replicas.map(async (replica) => {
      const deadline = Date.now() + RECONNECT_TIMEOUT_MS;
      for (;;) {
        const status = await fetch(`http://${replica.host}:${replica.port}/api/v1/investors?limit=1`, {
          headers: { authorization: `Bearer ${adminKey}` },
          signal: AbortSignal.timeout(5_000),
        })
          .then((r) => r.status)
          .catch(() => 0);
        if (status === 200) return;
        if (Date.now() >= deadline) {
          failed.push(`${replica.name} (${status || 'no answer'})`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }),
  );
  return failed.sort();
}

async function rotate(target: LabTarget, ctx: FaultContext): Promise<void> {
  const old = target.lab.refresh().secrets.databasePassword;
  const next = randomBytes(24).toString('base64url');
  const began = Date.now();
  // Step 1, the server (a rotation function's "set secret"): new logins need the new password from now.
  // The password is random base64url: safe inside a literal (no quote can occur); ALTER ROLE takes none
  // as a parameter.
  await target.lab.adminQuery(`ALTER ROLE dalp PASSWORD '${next}'`);
  ctx.note('fault', 'ALTER ROLE dalp PASSWORD (new password set on the primary)', 'dalp');
  // Step 2, the secret the replicas read (finishing the rotation; the kubelet's sync of a Secret volume).
  await target.lab.setDatabasePassword(next);
  await target.reopenLedgerPool();
  ctx.note('note', `new password written to ${target.lab.databasePasswordFile()}`);
  // Step 3, the grace period: sessions opened with the old password keep working (PostgreSQL keeps them).
  const graceMs = ctx.options.holdMs;
  await new Promise((resolve) => setTimeout(resolve, graceMs));
  const sessions = await roleSessions(target);
  ctx.record('grace-seconds', graceMs / 1000, 's');
  ctx.record('sessions-from-before-rotation', sessions.before(began));
  // Step 4, the revocation: every session of the role ends.
  const terminated = await target.lab.adminQuery<{ n: string }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE usename = 'dalp'`,
  );
  const revokedAt = Date.now();
  ctx.note('note', `revoked: ${terminated[0]?.n ?? 0} session(s) of dalp terminated`, 'dalp');
  ctx.record('sessions-terminated', Number(terminated[0]?.n ?? 0));

  // What the rotation must leave: the old password refused, every replica back on the new one, and
  // writes served.
  const refused = await passwordRefused(target, old);
  ctx.verify({
    name: 'old-password-refused',
    limit: 'refused',
    actual: refused ? 'refused' : 'logs in',
    pass: refused,
  });
  const stale = await replicasNotReconnected(target);
  ctx.verify({
    name: 'replicas-on-new-password',
    limit: 'every replica',
    actual: stale.length === 0 ? 'every replica' : `not: ${stale.join(', ')}`,
    pass: stale.length === 0,
  });
  const writes = await ctx.writesBack(revokedAt, RECONNECT_TIMEOUT_MS);
  ctx.verify({
    name: 'writes-after-revocation',
    limit: 'served',
    actual: writes ? 'served' : 'none',
    pass: writes,
  });
  ctx.record('rotation-seconds', Math.round(Date.now() - began) / 1000, 's');
  ctx.record('verified-seconds-after-revocation', Math.round(Date.now() - revokedAt) / 1000, 's');
}

export const credentialRotation: Scenario = {
  id: 'credential-rotation',
  title: 'rotate the database password (new one set, grace period, old one revoked)',
  documentRow: 'Database failure',
  controls: ['Managed PostgreSQL'],
  thresholds: { 'failed-requests': 0 },
  lab: {
    inject: rotate,
    async restore(target, ctx) {
      // Whatever step failed, the server and the file agree again on the password the lab state holds.
      const password = target.lab.refresh().secrets.databasePassword;
      await target.lab.adminQuery(`ALTER ROLE dalp PASSWORD '${password}'`);
      await target.lab.setDatabasePassword(password);
      ctx.note('note', 'the server and the password file agree on the current password');
    },
  },
  kubernetes: {
    // The rotation is the user's (their secrets manager's rotation, or a script that sets the password on
    // the managed database, updates the Secret, waits, revokes); the drill measures what clients saw.
    needsFaultCommand: true,
    async inject(target, ctx) {
      await target.runFaultCommand(ctx, 'credential-rotation');
    },
    async restore(target, ctx) {
      await target.runRestoreCommand(ctx);
    },
  },
};
