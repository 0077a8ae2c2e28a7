import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../adapters/postgres/database.ts';
import type { Principal } from '../domain/identity.ts';

/** A console session as the auth plugin sees it. */
export interface SessionRecord {
  principal: Principal;
  csrfToken: string;
  expiresAt: Date;
}

/** A session just created: its token is in the cookie and nowhere else (only its hash is stored). */
export interface CreatedSession extends SessionRecord {
  token: string;
}

// Tokens are 32 random bytes, so one SHA-256 makes the stored value useless to a reader of the table (the
// same reasoning as api-keys.ts).
export function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Sessions of the web console, in PostgreSQL so every replica sees the same ones: a sign-out or a key
 * revocation on one replica ends the session on all of them, and a replica lost mid-session loses nothing.
 */
export class SessionStore {
  constructor(private readonly db: Database) {}

  async create(principal: Principal, ttlMs: number): Promise<CreatedSession> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    // Expired sessions of this key are removed as new ones are made, so the table holds only live ones
    // plus those of keys nobody signs in with any more (the expires_at index keeps the lookup cheap).
    await this.db.query('DELETE FROM sessions WHERE api_key_id = $1 AND expires_at < now()', [principal.id]);
    const { rows } = await this.db.query<{ expires_at: Date }>(
      `INSERT INTO sessions (token_hash, api_key_id, csrf_token, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING expires_at`,
      [hashSessionToken(token), principal.id, csrfToken, ttlMs / 1000],
    );
    return { token, principal, csrfToken, expiresAt: rows[0]!.expires_at };
  }

  /** The live session of this token: not expired, and its key not revoked. */
  async find(token: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.db.query<{
      id: string;
      name: string;
      role: Principal['role'];
      csrf_token: string;
      expires_at: Date;
    }>(
      `SELECT k.id, k.name, k.role, s.csrf_token, s.expires_at
         FROM sessions s JOIN api_keys k ON k.id = s.api_key_id
        WHERE s.token_hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL`,
      [hashSessionToken(token)],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      principal: { id: row.id, name: row.name, role: row.role },
      csrfToken: row.csrf_token,
      expiresAt: row.expires_at,
    };
  }

  async delete(token: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE token_hash = $1', [hashSessionToken(token)]);
  }
}
