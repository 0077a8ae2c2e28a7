-- Initial schema. Entity ids are UUIDv7 (time-ordered): list order by id is creation order.
-- Amounts are numeric(78,0): unsigned 256-bit integers of base units.
-- Constraints repeat the domain rules so that no code path can store a negative balance or exceed supply.

CREATE TABLE api_keys (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  role        text NOT NULL CHECK (role IN ('admin', 'issuer', 'compliance', 'viewer')),
  key_hash    bytea NOT NULL UNIQUE,
  created_by  uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE assets (
  id                uuid PRIMARY KEY,
  symbol            text NOT NULL UNIQUE,
  name              text NOT NULL,
  type              text NOT NULL CHECK (type IN ('bond', 'equity', 'fund', 'stablecoin', 'deposit')),
  decimals          integer NOT NULL CHECK (decimals BETWEEN 0 AND 18),
  max_supply        numeric(78, 0) CHECK (max_supply > 0),
  total_supply      numeric(78, 0) NOT NULL DEFAULT 0 CHECK (total_supply >= 0),
  allowed_countries text[],
  details           jsonb NOT NULL DEFAULT '{}',
  status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'closed')),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (max_supply IS NULL OR total_supply <= max_supply)
);

CREATE TABLE investors (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  country     char(2) NOT NULL,
  kyc_status  text NOT NULL CHECK (kyc_status IN ('pending', 'verified', 'revoked')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE balances (
  asset_id     uuid NOT NULL REFERENCES assets (id),
  investor_id  uuid NOT NULL REFERENCES investors (id),
  amount       numeric(78, 0) NOT NULL CHECK (amount >= 0),
  PRIMARY KEY (asset_id, investor_id)
);

-- No foreign keys here on purpose: every journal insert would take a KEY SHARE lock on its asset row, and
-- with many concurrent transfers of one asset PostgreSQL serialises them on that row's multixact. The
-- ledger code reads the asset and investors in the same transaction, and neither is ever deleted.
-- Two indexes only, both needed by a query: the id (entries are named by it) and (asset_id, seq) for the
-- journal page, newest first. seq orders entries but is never looked up alone, so it has no index of its own:
-- each one is maintained on every ledger write.
CREATE TABLE journal (
  id               uuid PRIMARY KEY,
  seq              bigserial NOT NULL,
  asset_id         uuid NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('mint', 'transfer', 'burn', 'redeem')),
  from_investor    uuid,
  to_investor      uuid,
  amount           numeric(78, 0) NOT NULL CHECK (amount > 0),
  total_supply     numeric(78, 0) NOT NULL,
  idempotency_key  text NOT NULL,
  actor            uuid NOT NULL,
  request_id       text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journal_asset_idx ON journal (asset_id, seq DESC);

-- One row per (caller, key); written in the same transaction as the ledger write it protects, so a write
-- and its idempotency record are committed together or not at all. The result a replay returns is the
-- journal entry the write produced: the row points at it instead of holding a second copy (a third of the
-- WAL a transfer wrote). journal_id is null only inside the claiming transaction.
CREATE TABLE idempotency_keys (
  principal_id  uuid NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  journal_id    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal_id, key)
);

CREATE TABLE documents (
  id            uuid PRIMARY KEY,
  asset_id      uuid NOT NULL REFERENCES assets (id),
  name          text NOT NULL,
  content_type  text NOT NULL,
  size          bigint NOT NULL CHECK (size >= 0),
  sha256        text NOT NULL,
  object_key    text NOT NULL UNIQUE,
  created_by    uuid NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_asset_idx ON documents (asset_id, created_at DESC);

CREATE TABLE audit_log (
  seq          bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        uuid,
  action       text NOT NULL,
  entity_type  text NOT NULL,
  entity_id    text NOT NULL,
  request_id   text,
  details      jsonb NOT NULL DEFAULT '{}'
);
-- Append-only; no index beyond the primary key yet: nothing in the service reads it by entity, and an index
-- on random entity ids costs every mutation a random B-tree insert (about 150 bytes of WAL per transfer). A
-- later migration can add one (CREATE INDEX CONCURRENTLY) together with the query that needs it.

-- Optimistic ledger writes (store/ledger/writer.ts) update a balance only if it still holds the amount the plan was
-- computed from; when one has moved, this aborts the whole statement, idempotency claim included, with
-- serialization_failure, and the service plans again under row locks. It decides no ledger rule itself.
CREATE FUNCTION ledger_state_changed() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'ledger state changed since it was read' USING ERRCODE = 'serialization_failure';
END
$$;
