import type { Cache } from '../../ports/cache.ts';
import type { DependencyState } from '../../ports/dependency-observer.ts';

/**
 * In-process cache for embedded defaults and single-replica runs. Bounded (oldest entries go first) so a
 * long-running laptop instance cannot grow without limit. It does not reach other replicas: with more than
 * one replica, use Redis/Valkey.
 */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  async get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return true;
  }

  async increment(key: string, windowSeconds: number): Promise<number> {
    const current = this.entries.get(key);
    if (!current || current.expiresAt <= Date.now()) {
      await this.set(key, '1', windowSeconds);
      return 1;
    }
    const count = Number(current.value) + 1;
    current.value = String(count);
    return count;
  }

  async check(): Promise<DependencyState> {
    return 'up';
  }

  state(): DependencyState {
    return 'up';
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
