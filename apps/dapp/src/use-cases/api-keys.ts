import type { Actor, Principal, Role } from '../domain/identity.ts';
import type { ApiKeyRecord, ApiKeyStore } from '../store/api-keys.ts';
import type { Page } from '../store/pagination.ts';

const REMEMBERED_MAX = 10_000;

/**
 * API keys: creation, listing, revocation, and this replica's memory of the keys it verified. A database
 * round trip per request would cost more than the cached read it guards (docs/operations.md), so a verified key (or an unknown one) is trusted for
 * `cacheMs`; that is the bound on how long a revoked key keeps working on another replica. The replica
 * that revokes a key forgets it at once.
 */
export class ApiKeys {
  private readonly verified = new Map<string, { principal: Principal | undefined; until: number }>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly cacheMs: number,
  ) {}

  /** What this replica verified for the key with this digest in the last `cacheMs`, if anything. */
  remembered(digest: string): { principal: Principal | undefined } | undefined {
    const entry = this.verified.get(digest);
    return entry && entry.until >= Date.now() ? entry : undefined;
  }

  /** Looks the key up in the database and remembers the answer. */
  async verify(key: string, digest: string): Promise<Principal | undefined> {
    const principal = await this.store.findByKey(key);
    if (this.cacheMs > 0) {
      if (this.verified.size >= REMEMBERED_MAX) this.verified.clear();
      this.verified.set(digest, { principal, until: Date.now() + this.cacheMs });
    }
    return principal;
  }

  create(name: string, role: Role, actor: Actor) {
    return this.store.create(name, role, actor);
  }

  list(limit: number, cursor?: string): Promise<Page<ApiKeyRecord>> {
    return this.store.list(limit, cursor);
  }

  async revoke(id: string, actor: Actor): Promise<void> {
    await this.store.revoke(id, actor);
    for (const [digest, entry] of this.verified) {
      if (entry.principal?.id === id) this.verified.delete(digest);
    }
  }
}
