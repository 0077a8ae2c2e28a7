-- Console sign-in sessions (issue 19). A person signs in with an API key once; the console then carries a
-- session cookie. Kept here, not in a replica's memory, so any replica behind the load balancer admits it
-- and signing out (deleting the row) ends it on every replica at once. Only the token's SHA-256 is stored:
-- a copy of the table signs nobody in. Revoking the key deletes its sessions (ON DELETE CASCADE covers a
-- deleted key; the revocation deletes them itself, and the lookup also refuses a revoked key's session).
CREATE TABLE sessions (
  token_hash  bytea PRIMARY KEY,
  api_key_id  uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  -- The synchronizer token state-changing requests must echo in X-CSRF-Token.
  csrf_token  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_api_key_id ON sessions (api_key_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
