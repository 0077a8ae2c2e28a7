import { createHash, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../adapters/postgres/database.ts';
import { isUniqueViolation } from '../adapters/postgres/sqlstate.ts';
import type { Actor, Principal, Role } from '../domain/identity.ts';
import { errors } from '../errors.ts';
import { recordAudit } from './audit.ts';
import { type Page, pageById } from './pagination.ts';

/** Fixed id of the key that DALP_BOOTSTRAP_ADMIN_KEY (or the generated embedded key) maps to. */
export const BOOTSTRAP_KEY_ID = '00000000-0000-7000-8000-000000000001';

// Keys are 32 random bytes, so a single SHA-256 is enough to make the stored hash useless to an attacker;
// a slow password hash would only add latency to every request.
export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function generateKey(): string {
  return `dalp_${randomBytes(32).toString('base64url')}`;
}

/** A key as an admin sees it: never its secret or hash. */
export interface ApiKeyRecord extends Principal {
  createdBy: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  role: Role;
  created_by: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

const recordOf = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  role: row.role,
  createdBy: row.created_by,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

export class ApiKeyStore {
  constructor(private readonly db: Database) {}

  async findByKey(key: string): Promise<Principal | undefined> {
    const { rows } = await this.db.query<Principal>(
      'SELECT id, name, role FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      [hashKey(key)],
    );
    return rows[0];
  }

  /** Creates a key and returns its secret; only the hash is stored, so it is shown this once. */
  async create(
    name: string,
    role: Role,
    actor: Actor,
  ): Promise<Principal & { key: string; createdAt: string }> {
    const key = generateKey();
    const id = uuidv7();
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ created_at: Date }>(
        'INSERT INTO api_keys (id, name, role, key_hash, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING created_at',
        [id, name, role, hashKey(key), actor.principalId],
      );
      await recordAudit(tx, actor, 'api_key.create', { type: 'api_key', id }, { name, role });
      return { id, name, role, key, createdAt: rows[0]!.created_at.toISOString() };
    });
  }

  list(limit: number, cursor?: string): Promise<Page<ApiKeyRecord>> {
    return pageById(this.db, 'api_keys', recordOf, limit, cursor);
  }

  /** Revokes a key and ends its console sessions (audited once: revoking a revoked key changes nothing). */
  async revoke(id: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ revoked: boolean }>(
        `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
         RETURNING revoked_at = now() AS revoked`,
        [id],
      );
      if (rows.length === 0) throw errors.apiKeyNotFound(id);
      // Its console sessions end with it (sessions are in this database, so on every replica at once).
      await tx.query('DELETE FROM sessions WHERE api_key_id = $1', [id]);
      if (rows[0]!.revoked) await recordAudit(tx, actor, 'api_key.revoke', { type: 'api_key', id });
    });
  }

  /**
   * Installs (or rotates) the bootstrap admin key. Replicas starting at the same moment run this together:
   * ON CONFLICT arbitrates the id only, so a racing insert can still fail on the key's hash, which means
   * the other replica has just installed this very key; once committed, the next attempt meets the id.
   */
  async ensureBootstrap(key: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.query(
          `INSERT INTO api_keys (id, name, role, key_hash) VALUES ($1, 'bootstrap-admin', 'admin', $2)
           ON CONFLICT (id) DO UPDATE SET key_hash = EXCLUDED.key_hash, revoked_at = NULL`,
          [BOOTSTRAP_KEY_ID, hashKey(key)],
        );
        return;
      } catch (error) {
        if (attempt >= 3 || !isUniqueViolation(error, 'api_keys_key_hash_key')) throw error;
      }
    }
  }
}
