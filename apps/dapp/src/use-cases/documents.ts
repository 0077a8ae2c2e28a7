import { createHash } from 'node:crypto';
import { finished, type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { v7 as uuidv7 } from 'uuid';
import type { Document } from '../domain/documents.ts';
import type { Actor } from '../domain/identity.ts';
import { errors, isRefusal } from '../errors.ts';
import type { ObjectStore, StoredObject } from '../ports/object-store.ts';
import { type DocumentStore, type StoredUploadKey, UploadKeyTaken } from '../store/documents.ts';
import { DocumentMeter } from './document-meter.ts';

/** Where a use case writes what only an operator reads (an orphan left in the object store). */
export interface WarningLog {
  warn(details: object, message: string): void;
}

export interface Upload {
  assetId: string;
  name: string;
  contentType: string | undefined;
  /** The Content-Length the client declared, if any (checked before a byte is read). */
  declaredLength: string | undefined;
  body: Readable;
  /** The client's Idempotency-Key: a resent upload with it is stored once and answered as a replay. */
  idempotencyKey?: string | undefined;
}

export interface Uploaded {
  document: Document;
  /** True when an earlier upload with the same key stored it and this one was not stored again. */
  replayed: boolean;
}

/** What an upload's idempotency key is bound to: where it goes, what it is called, its type and bytes. */
function uploadHash(upload: Upload, contentType: string, sha256: string): string {
  return createHash('sha256')
    .update(JSON.stringify(['document-upload', upload.assetId, upload.name, contentType, sha256]))
    .digest('hex');
}

/** Errors after which the database may have committed the row even though the service saw a failure. */
const outcomeUnknown = (error: unknown) =>
  errors.databaseUnavailable.is(error) || errors.databaseTimeout.is(error);

export type Download =
  | { etag: string; notModified: true }
  | { etag: string; notModified: false; document: Document; object: StoredObject };

/**
 * Documents: bytes in the object store, metadata in PostgreSQL, kept in step. The metadata row is written
 * only after the bytes are stored, and the bytes are removed if the row cannot be written, so a failed or
 * oversized upload leaves neither; a deletion removes the row and queues the bytes for a later purge, so
 * no row points at missing bytes, not even the row of a database restored to a point before the deletion.
 */
export class Documents {
  constructor(
    private readonly store: DocumentStore,
    /** The object store every use reports to health through. */
    private readonly objects: ObjectStore,
    /** The same store, unobserved: a clean-up is no client's use of it, and its failure is only logged. */
    private readonly cleanup: ObjectStore,
    private readonly maxBytes: number,
    /** Uploads in progress, up by one while each runs (dalp_document_uploads_in_flight). */
    private readonly inFlight: { inc(): void; dec(): void },
  ) {}

  async upload(upload: Upload, actor: Actor, log: WarningLog): Promise<Uploaded> {
    this.inFlight.inc();
    try {
      return await this.receive(upload, actor, log);
    } finally {
      this.inFlight.dec();
    }
  }

  private async receive(upload: Upload, actor: Actor, log: WarningLog): Promise<Uploaded> {
    const { contentType, idempotencyKey } = upload;
    if (!contentType) throw errors.contentTypeRequired();
    if (Number(upload.declaredLength ?? Number.NaN) > this.maxBytes)
      throw errors.payloadTooLarge(this.maxBytes);
    await this.store.assertAssetExists(upload.assetId);
    if (idempotencyKey !== undefined) {
      const earlier = await this.store.uploadKey(actor, idempotencyKey);
      // The bytes are read (and hashed, not stored) all the same: the key is bound to them.
      if (earlier) return this.replay(earlier, uploadHash(upload, contentType, await this.digest(upload)));
    }

    const id = uuidv7();
    const objectKey = `documents/${upload.assetId}/${id}`;
    const meter = new DocumentMeter(this.maxBytes);
    // `finished`, not an 'error' listener: a client that went away while the asset was looked up has left
    // a body that is already destroyed and will never emit again, and a plain pipe from it would keep the
    // store waiting for bytes (an open temp file, a pending upload) for ever. A body that ends early is
    // the client's failure (or a refusal already, a body too slow), which the object store's health does
    // not count.
    finished(upload.body, { writable: false }, (error) => {
      if (error) meter.destroy(isRefusal(error) ? error : errors.uploadIncomplete.because(error));
    });
    // The store reports the meter's error; this keeps one raised before the store listens (it may first
    // create a directory) from being an uncaught exception.
    meter.on('error', () => undefined);
    upload.body.pipe(meter);
    await this.objects.put(objectKey, meter, contentType);
    const sha256 = meter.digest();
    const requestHash = uploadHash(upload, contentType, sha256);
    try {
      const document = await this.store.insert(
        { id, assetId: upload.assetId, name: upload.name, contentType, size: meter.size, sha256, objectKey },
        actor,
        idempotencyKey === undefined ? undefined : { key: idempotencyKey, requestHash },
      );
      return { document, replayed: false };
    } catch (error) {
      if (outcomeUnknown(error)) {
        // The connection broke around the commit: the row may be there, so its bytes must stay. At worst
        // this leaves an object no row names, which `reconcile` lists; deleting could lose a document.
        log.warn({ objectKey }, 'document bytes kept: the database failed while their row was written');
        throw error;
      }
      // No metadata row: the bytes must not stay behind either.
      await this.cleanup
        .delete(objectKey)
        .catch((e) => log.warn({ err: e, objectKey }, 'orphan object left'));
      // A concurrent upload with the same key (a resend while the first was still running) won the race.
      if (idempotencyKey !== undefined && error instanceof UploadKeyTaken) {
        const earlier = await this.store.uploadKey(actor, idempotencyKey);
        if (earlier) return this.replay(earlier, requestHash);
      }
      throw error;
    }
  }

  /** The answer to a resent upload: the document the key stored, if the request is the same one. */
  private replay(earlier: StoredUploadKey, requestHash: string): Uploaded {
    if (earlier.requestHash !== requestHash) throw errors.idempotencyKeyReused();
    if (!earlier.document) throw errors.idempotencyKeyDocumentDeleted();
    return { document: earlier.document, replayed: true };
  }

  /** Reads a resent upload's body whole, within the size limit, for its SHA-256 only. */
  private async digest(upload: Upload): Promise<string> {
    const meter = new DocumentMeter(this.maxBytes);
    const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
    try {
      await pipeline(upload.body, meter, discard);
    } catch (error) {
      throw isRefusal(error) ? error : errors.uploadIncomplete.because(error);
    }
    return meter.digest();
  }

  list(assetId: string): Promise<Document[]> {
    return this.store.list(assetId);
  }

  /** The document and its bytes, or only its ETag when the client's `If-None-Match` already names it. */
  async download(assetId: string, documentId: string, ifNoneMatch: string | undefined): Promise<Download> {
    const document = await this.store.get(assetId, documentId);
    const etag = `"${document.sha256}"`;
    if (ifNoneMatch === etag) return { etag, notModified: true };
    const object = await this.objects.get(document.objectKey);
    if (!object) {
      throw errors.objectStoreUnavailable.because(
        new Error(`object ${document.objectKey} is missing from the store`),
      );
    }
    return { etag, notModified: false, document, object };
  }

  /**
   * Deletes the document for clients: its row goes, its bytes stay queued for the purge
   * (use-cases/purge-documents.ts), so a restore to a point before now still finds them.
   */
  async remove(assetId: string, documentId: string, actor: Actor): Promise<void> {
    await this.store.delete(assetId, documentId, actor);
  }
}
