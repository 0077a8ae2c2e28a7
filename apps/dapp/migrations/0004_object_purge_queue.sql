-- Deferred deletion of document bytes (issue 16). Deleting a document deletes its row and, in the same
-- transaction, queues its object key here; the bytes stay in the object store until the purge step
-- (use-cases/purge-documents.ts) finds the key queued for longer than DOCUMENT_PURGE_AFTER_HOURS. A
-- database restored to a point before the deletion therefore still finds the bytes its row references,
-- on any store, versioned or not (docs/reconcile.md). The key is the primary key: one object, one entry.
CREATE TABLE object_purge_queue (
  object_key  text PRIMARY KEY,
  queued_at   timestamptz NOT NULL DEFAULT now()
);
-- The purge reads the oldest entries first.
CREATE INDEX object_purge_queue_queued_at ON object_purge_queue (queued_at);
