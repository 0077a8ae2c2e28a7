import type { Database } from '../adapters/postgres/database.ts';
import { isUniqueViolation } from '../adapters/postgres/sqlstate.ts';
import type { Document } from '../domain/documents.ts';
import type { Actor } from '../domain/identity.ts';
import { errors } from '../errors.ts';
import { recordAudit } from './audit.ts';

interface DocumentRow {
  id: string;
  asset_id: string;
  name: string;
  content_type: string;
  size: string;
  sha256: string;
  object_key: string;
  created_by: string;
  created_at: Date;
}

function documentFromRow(row: DocumentRow): Document {
  return {
    id: row.id,
    assetId: row.asset_id,
    name: row.name,
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    objectKey: row.object_key,
  };
}

/** An upload's idempotency key and the request it is bound to. */
export interface UploadKey {
  key: string;
  requestHash: string;
}

export interface StoredUploadKey {
  requestHash: string;
  document: Document | null;
}

/** An upload's key was taken by another upload (a resend racing the first) before this one's row landed. */
export class UploadKeyTaken extends Error {
  constructor() {
    super('the idempotency key was taken by a concurrent upload');
    this.name = 'UploadKeyTaken';
  }
}

export class DocumentStore {
  constructor(private readonly db: Database) {}

  async assertAssetExists(assetId: string): Promise<void> {
    const { rowCount } = await this.db.query('SELECT 1 FROM assets WHERE id = $1', [assetId]);
    if (rowCount === 0) throw errors.assetNotFound(assetId);
  }

  /**
   * Records metadata for bytes that are already stored under `objectKey`, and the upload's idempotency key
   * with it when there is one (a key already taken fails the whole insert with `UploadKeyTaken`: the
   * caller answers it as a replay).
   */
  async insert(
    meta: Omit<Document, 'createdAt' | 'createdBy'>,
    actor: Actor,
    key?: UploadKey,
  ): Promise<Document> {
    return this.db.transaction(async (tx) => {
      if (key) {
        await tx
          .query(
            `INSERT INTO document_upload_keys (principal_id, key, request_hash, document_id)
             VALUES ($1, $2, $3, $4)`,
            [actor.principalId, key.key, key.requestHash, meta.id],
          )
          .catch((error: unknown) => {
            throw isUniqueViolation(error, 'document_upload_keys_pkey') ? new UploadKeyTaken() : error;
          });
      }
      const { rows } = await tx.query<DocumentRow>(
        `INSERT INTO documents (id, asset_id, name, content_type, size, sha256, object_key, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [
          meta.id,
          meta.assetId,
          meta.name,
          meta.contentType,
          meta.size,
          meta.sha256,
          meta.objectKey,
          actor.principalId,
        ],
      );
      await recordAudit(
        tx,
        actor,
        'document.create',
        { type: 'document', id: meta.id },
        {
          assetId: meta.assetId,
          size: meta.size,
          sha256: meta.sha256,
        },
      );
      return documentFromRow(rows[0]!);
    });
  }

  /** What an upload with this key stored before: its request hash and its document (null once deleted). */
  async uploadKey(actor: Actor, key: string): Promise<StoredUploadKey | undefined> {
    const { rows } = await this.db.query<{ request_hash: string } & Partial<DocumentRow>>(
      `SELECT k.request_hash, d.* FROM document_upload_keys k LEFT JOIN documents d ON d.id = k.document_id
        WHERE k.principal_id = $1 AND k.key = $2`,
      [actor.principalId, key],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      requestHash: row.request_hash,
      document: row.id === null || row.id === undefined ? null : documentFromRow(row as DocumentRow),
    };
  }

  async list(assetId: string): Promise<Document[]> {
    await this.assertAssetExists(assetId);
    const { rows } = await this.db.query<DocumentRow>(
      'SELECT * FROM documents WHERE asset_id = $1 ORDER BY created_at DESC, id',
      [assetId],
    );
    return rows.map(documentFromRow);
  }

  async get(assetId: string, id: string): Promise<Document> {
    const { rows } = await this.db.query<DocumentRow>(
      'SELECT * FROM documents WHERE asset_id = $1 AND id = $2',
      [assetId, id],
    );
    if (!rows[0]) throw errors.documentNotFound(id);
    return documentFromRow(rows[0]);
  }

  /**
   * Removes the metadata row and, in the same transaction, queues its object key for the purge: the bytes
   * outlive the row by DOCUMENT_PURGE_AFTER_HOURS, so a database restored to a point before this deletion
   * still finds them (docs/reconcile.md). Returns the object key.
   */
  async delete(assetId: string, id: string, actor: Actor): Promise<string> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<DocumentRow>(
        'DELETE FROM documents WHERE asset_id = $1 AND id = $2 RETURNING *',
        [assetId, id],
      );
      if (!rows[0]) throw errors.documentNotFound(id);
      // A key queued already (a restored row deleted again) keeps its first time: it was deleted then.
      await tx.query('INSERT INTO object_purge_queue (object_key) VALUES ($1) ON CONFLICT DO NOTHING', [
        rows[0].object_key,
      ]);
      await recordAudit(tx, actor, 'document.delete', { type: 'document', id }, { assetId });
      return rows[0].object_key;
    });
  }
}
