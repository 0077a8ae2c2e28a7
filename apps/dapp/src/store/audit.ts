import type { Queryable } from '../adapters/postgres/database.ts';
import type { Actor } from '../domain/identity.ts';

export async function recordAudit(
  db: Queryable,
  actor: Actor,
  action: string,
  entity: { type: string; id: string },
  details: Record<string, unknown> = {},
): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor, action, entity_type, entity_id, request_id, details)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [actor.principalId, action, entity.type, entity.id, actor.requestId, JSON.stringify(details)],
  );
}
