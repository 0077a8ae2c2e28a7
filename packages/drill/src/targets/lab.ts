// The lab as a drill target: the workload goes through its load balancer with the lab's admin key, the
// books are read straight from the database endpoint, and the fault primitives are the lab's own.
import { type Lab, type LabRoles, objectStoreOf, refState } from '@dalp/lab';
import pg from 'pg';
import { type LedgerReader, sqlLedgerReader } from '../measure/ledger.ts';
import type { FaultContext } from '../scenario.ts';
import type { ApiEndpoint } from '../workload/api.ts';
import type { Target, TopologyRow, Watch } from './target.ts';

const WATCH_INTERVAL_MS = 250;

export class LabTarget implements Target {
  readonly kind = 'lab';
  private pool: pg.Pool;

  constructor(readonly lab: Lab) {
    this.pool = this.openPool();
  }

  private openPool(): pg.Pool {
    const pool = new pg.Pool({
      connectionString: this.lab.endpoints().database,
      max: 2,
      connectionTimeoutMillis: 5_000,
      statement_timeout: 30_000,
    });
    // An idle client cut by a failover must not crash the drill; the next query reconnects.
    pool.on('error', () => undefined);
    return pool;
  }

  /** The books are read with the lab's current database password again (after a credential rotation). */
  async reopenLedgerPool(): Promise<void> {
    const old = this.pool;
    this.lab.refresh();
    this.pool = this.openPool();
    await old.end().catch(() => undefined);
  }

  describe(): string {
    const { shape } = this.lab.state;
    return `lab ${this.lab.id} (${shape.zones} zones, ${shape.nodesPerZone} node(s) per zone, ${shape.replicas} replicas, ${objectStoreOf(shape)}) in ${this.lab.dir}`;
  }

  api(): ApiEndpoint {
    const { api, adminKey } = this.lab.endpoints();
    return { baseUrl: api, key: adminKey };
  }

  /** One statement through the database endpoint, as the application's role. */
  async query<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]> {
    return (await this.pool.query(text, values)).rows as R[];
  }

  ledgerReader(): LedgerReader {
    return sqlLedgerReader(async (text, values) => (await this.pool.query(text, values)).rows);
  }

  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    await this.lab.waitForHealthy(timeoutMs);
  }

  async topology(): Promise<TopologyRow[]> {
    const status = await this.lab.status();
    return status.components.map((c) => ({
      name: c.name,
      kind: c.kind,
      zone: c.zone,
      node: c.node,
      role: c.role,
      health: c.health,
      detail: c.detail,
    }));
  }

  /** The PostgreSQL primary now (the one member answering as primary); throws when there is none. */
  async postgresPrimary(): Promise<string> {
    const [primary, ...more] = (await this.lab.roles()).postgresPrimaries;
    if (!primary || more.length > 0)
      throw new Error(`no single PostgreSQL primary (${[primary, ...more].join(', ')})`);
    return primary;
  }

  /**
   * Waits out a PostgreSQL failover: until one member other than `old` answers as primary, then until the
   * workload has a write acknowledged that started after that (bounded by `timeoutMs` in all).
   */
  async rideOutFailover(old: string, ctx: FaultContext, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const roles = await this.lab
      .waitForRoles(
        (r) => r.postgresPrimaries.length === 1 && r.postgresPrimaries[0] !== old,
        timeoutMs,
        `a PostgreSQL primary other than ${old}`,
      )
      .catch(() => undefined);
    if (!roles) {
      ctx.note('note', `no new PostgreSQL primary within ${Math.round(timeoutMs / 1000)} s`);
      return;
    }
    await ctx.writesBack(Date.now(), Math.max(0, deadline - Date.now()));
  }

  async redisPrimary(): Promise<string> {
    const roles = await this.lab.roles();
    if (!roles.sentinelsName) throw new Error('the Sentinels name no Redis primary');
    return roles.sentinelsName;
  }

  /** The replica in service that crashed least so far (its restart is not delayed by a back-off). */
  async leastRestartedReplica(): Promise<string> {
    const serving = (await this.lab.roles()).inService;
    const [least] = this.lab
      .components()
      .filter((c) => c.kind === 'dapp' && serving.includes(c.name))
      .sort((a, b) => (a.restarts ?? 0) - (b.restarts ?? 0) || a.name.localeCompare(b.name));
    if (!least) throw new Error('the load balancer serves no replica');
    return least.name;
  }

  /** Waits until the load balancer no longer serves `replica`; false after `timeoutMs`. */
  async waitOutOfService(replica: string, timeoutMs: number): Promise<boolean> {
    return this.lab
      .waitForRoles((r) => !r.inService.includes(replica), timeoutMs, `${replica} out of the load balancer`)
      .then(() => true)
      .catch(() => false);
  }

  /** Services of a kind whose process is down on a powered node (killed by a fault, not yet restarted). */
  stoppedServices(kind: 'postgres' | 'redis' | 's3'): string[] {
    const { poweredOff } = this.lab.refresh();
    return this.lab
      .components()
      .filter((c) => c.kind === kind && !poweredOff.includes(c.node) && refState(c.process) === 'gone')
      .map((c) => c.name);
  }

  zoneOfNode(node: string): string {
    const zone = this.lab.state.network?.zones.find((z) => z.nodes.some((n) => n.name === node));
    if (!zone) throw new Error(`no node ${node} in lab ${this.lab.id}`);
    return zone.name;
  }

  watch(record: Parameters<Target['watch']>[0]): Watch {
    let stopped = false;
    let last: LabRoles | undefined;
    const loop = (async () => {
      while (!stopped) {
        const roles = await this.lab.roles().catch(() => undefined);
        if (roles) {
          const changed = (pick: (r: LabRoles) => string[]) =>
            !last || pick(last).join() !== pick(roles).join() ? pick(roles) : undefined;
          const primaries = changed((r) => r.postgresPrimaries);
          if (primaries && last)
            for (const p of primaries.filter((p) => !last?.postgresPrimaries.includes(p)))
              record({ kind: 'postgres-primary', subject: p, detail: `${p} answers as PostgreSQL primary` });
          const redis = changed((r) => (r.sentinelsName ? [r.sentinelsName] : []));
          if (redis?.[0] && last)
            record({
              kind: 'redis-primary',
              subject: redis[0],
              detail: `the Sentinels name ${redis[0]} primary`,
            });
          const endpoint = changed((r) => r.databaseEndpointTo);
          if (endpoint && last)
            record({
              kind: 'database-endpoint',
              subject: endpoint[0],
              detail: endpoint.length
                ? `database endpoint routes to ${endpoint.join(', ')}`
                : 'database endpoint routes to nobody',
            });
          last = roles;
        }
        await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
      },
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
