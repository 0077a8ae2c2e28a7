import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/** Default migrations directory: `apps/dapp/migrations`, both from `src/` (tsx) and `dist/` (built). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));

// Any fixed 64-bit number works; all replicas must use the same one. ('dalp' in ASCII.)
const MIGRATION_LOCK_KEY = 0x64616c70;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies pending `NNNN_name.sql` files in order. Many replicas may start at once: a session-level advisory
 * lock makes them queue, and each re-reads the applied set after taking the lock, so every migration runs
 * exactly once. Each file runs in its own transaction together with its bookkeeping row.
 */
export async function migrate(pool: pg.Pool, directory = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = (await readdir(directory)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = new Set(
        (await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      const applied: string[] = [];
      for (const file of files) {
        if (done.has(file)) continue;
        const sql = await readFile(`${directory}/${file}`, 'utf8');
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(file);
      }
      return { applied, alreadyApplied: done.size };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}
