-- Idempotency keys of document uploads (issue 15). An upload carrying an Idempotency-Key can be resent
-- after a lost answer (by the client, or by a load balancer that retries on another replica) and is stored
-- once: the key row is written in the same transaction as the document row it created. The request hash
-- covers the asset, the name, the content type and the SHA-256 of the bytes, so the same key with other
-- bytes is refused. The row outlives its document (no foreign key): a replay of a deleted document's key
-- is refused rather than stored again.
CREATE TABLE document_upload_keys (
  principal_id  uuid NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  document_id   uuid NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal_id, key)
);
