import { readFileSync } from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../../config.ts';
import type { Cache } from '../../ports/cache.ts';
import type { DependencyObserver, DependencyState } from '../../ports/dependency-observer.ts';

/**
 * Redis or Valkey (standalone, TLS or Sentinel) behind the cache port. Uses only GET, SET (EX/NX), INCR and
 * MULTI, which Redis 6+, Redis 7 and Valkey all implement.
 *
 * Commands never wait for a connection (no offline queue) and time out quickly, so while the cache is down
 * or failing over every call resolves at once and the service reads from PostgreSQL instead. ioredis keeps
 * reconnecting in the background (through Sentinel to the new primary) and the cache is used again as soon
 * as a connection is ready.
 */
export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  private current: DependencyState = 'down';
  private closing = false;
  private revive: NodeJS.Timeout | undefined;

  constructor(
    config: Config['cache'],
    private readonly observer: DependencyObserver,
    private readonly log: FastifyBaseLogger,
  ) {
    const ca = config.tlsCaFile ? readFileSync(config.tlsCaFile) : undefined;
    const tls = config.tls ? { ca } : undefined;
    const common: RedisOptions = {
      username: config.username,
      password: config.password,
      tls,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      commandTimeout: 1000,
      // Reconnect forever with a capped backoff: the cache coming back must not need a restart.
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
      reconnectOnError: (error) => /READONLY/.test(error.message),
    };
    if (config.sentinels) {
      this.client = new Redis({
        ...common,
        sentinels: config.sentinels,
        name: config.sentinelMaster,
        sentinelPassword: config.sentinelPassword,
        // TLS to the Sentinels themselves (sentinelTLS) and to the primary they name (tls).
        sentinelTLS: config.sentinelTls ? { ca } : undefined,
        enableTLSForSentinelMode: config.tls,
        sentinelRetryStrategy: (attempt) => Math.min(100 * attempt, 2000),
        failoverDetector: true,
      });
    } else {
      this.client = new Redis(config.url, common);
    }
    this.client.on('ready', () => this.transition('up'));
    this.client.on('error', (error) => {
      if (this.current === 'up') this.log.warn({ err: { message: error.message } }, 'cache connection error');
    });
    this.client.on('close', () => this.transition('down'));
    this.client.on('end', () => {
      this.transition('down');
      // ioredis gives up for good ('end') when a Sentinel failover notice interrupts a reconnect in
      // progress: its connector then fails with "Connection is closed." (found by the cache-failover
      // drill; every replica served without its cache until restarted). The cache coming back must not
      // need a restart, so a client we did not close is started again.
      if (!this.closing && !this.revive)
        this.revive = setTimeout(() => {
          this.revive = undefined;
          this.client.connect().catch(() => undefined);
        }, 1_000);
    });
  }

  private transition(next: DependencyState): void {
    if (next === this.current) return;
    this.current = next;
    if (next === 'up') this.observer.up();
    else this.observer.down();
    this.log.info(
      { cache: next },
      next === 'up' ? 'cache available' : 'cache unavailable; serving from PostgreSQL',
    );
  }

  private failed(operation: string, error: unknown): undefined {
    this.observer.failed(operation, error);
    this.log.debug({ err: { message: (error as Error).message } }, 'cache operation failed');
    return undefined;
  }

  async get(key: string): Promise<string | undefined> {
    if (this.current !== 'up') return undefined;
    try {
      return (await this.client.get(key)) ?? undefined;
    } catch (error) {
      return this.failed('get', error);
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.current !== 'up') return false;
    try {
      await this.client.set(key, value, 'EX', ttlSeconds);
      return true;
    } catch (error) {
      this.failed('set', error);
      return false;
    }
  }

  async increment(key: string, windowSeconds: number): Promise<number | undefined> {
    if (this.current !== 'up') return undefined;
    try {
      // SET NX EX creates the window with its expiry exactly once; INCR then counts in it.
      const results = await this.client.multi().set(key, '0', 'EX', windowSeconds, 'NX').incr(key).exec();
      const count = results?.[1]?.[1];
      return typeof count === 'number' ? count : undefined;
    } catch (error) {
      return this.failed('increment', error);
    }
  }

  state(): DependencyState {
    return this.current;
  }

  async check(timeoutMs: number): Promise<DependencyState> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer to PING within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      this.transition('up');
    } catch (error) {
      if (this.current === 'up')
        this.log.warn({ err: { message: (error as Error).message } }, 'cache check failed');
      this.transition('down');
    } finally {
      clearTimeout(timer);
    }
    return this.current;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.revive);
    this.client.disconnect();
  }
}
