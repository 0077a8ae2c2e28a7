import { Type } from 'typebox';
import { ASSET_STATUSES, ASSET_TYPES } from '../domain/assets.ts';
import { ROLES } from '../domain/identity.ts';
import { KYC_STATUSES } from '../domain/investors.ts';
import { DISCREPANCY_KINDS } from '../use-cases/reconcile.ts';

// JSON schemas for every route: Fastify validates with them (unknown fields rejected, no type coercion) and
// @fastify/swagger turns them into /openapi.json. Domain rules that schemas cannot express live in domain/.

export const Amount = Type.String({
  pattern: '^[0-9]{1,78}$',
  description: 'Base units as a decimal integer string (arbitrary precision, never a float).',
  examples: ['1000000'],
});
// One spelling of an id, the one the API returns: lower-case hex with hyphens. The `uuid` format would also
// take `urn:uuid:` and upper case, which PostgreSQL reads differently or a cache keys apart.
export const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'A UUID in lower-case canonical form.',
});
export const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 code.' });
export const Timestamp = Type.String({ format: 'date-time' });

export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [code, { ...ErrorResponse, description: 'Error (see docs/api.md for the codes)' }]),
  );

/**
 * The error answers a route of /api/v1 can give, for its OpenAPI description: those of every route
 * (refused input, authentication, role, not found, a slow request, rate limits, a fault, a dependency
 * down), those of a route with a body (too large, wrong type), of a path parameter (too long), and of a
 * write (a conflict, a rule of the domain).
 */
export function errorResponses(method: string, url: string, hasBody: boolean) {
  return errors(
    400,
    401,
    403,
    404,
    408,
    429,
    500,
    503,
    ...(hasBody ? [413, 415] : []),
    ...(url.includes(':') ? [414] : []),
    ...(method === 'GET' ? [] : [409, 422]),
  );
}

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9]{2}|200)$', description: '1-200, default 50' }),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const AssetListQuery = Type.Object(
  {
    ...PageQuery.properties,
    type: Type.Optional(Type.Enum([...ASSET_TYPES], { description: 'Only assets of this type.' })),
    status: Type.Optional(Type.Enum([...ASSET_STATUSES], { description: 'Only assets in this status.' })),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'Only assets whose symbol or name contains this text, case-insensitively; % and _ match literally.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'A cursor is only valid with the filters (type, status, q) of the listing that returned it.',
  },
);

export function pageLimit(query: { limit?: string }): number {
  return query.limit === undefined ? 50 : Number(query.limit);
}

const pageOf = (item: Parameters<typeof Type.Array>[0]) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const AssetCreate = Type.Object(
  {
    symbol: Type.String({ pattern: '^[A-Z0-9][A-Z0-9.-]{0,15}$', description: 'Unique ticker, upper case.' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.Enum([...ASSET_TYPES]),
    decimals: Type.Integer({ minimum: 0, maximum: 18 }),
    maxSupply: Type.Optional(Amount),
    allowedCountries: Type.Optional(Type.Array(Country, { minItems: 1, maxItems: 250 })),
    faceValue: Type.Optional(Amount),
    maturityDate: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  },
  { additionalProperties: false },
);

export const AssetView = Type.Object({
  id: Uuid,
  symbol: Type.String(),
  name: Type.String(),
  type: Type.String(),
  decimals: Type.Integer(),
  maxSupply: Type.Union([Amount, Type.Null()]),
  totalSupply: Amount,
  allowedCountries: Type.Union([Type.Array(Type.String()), Type.Null()]),
  faceValue: Type.Optional(Amount),
  maturityDate: Type.Optional(Type.String()),
  status: Type.Enum([...ASSET_STATUSES]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const AssetPage = pageOf(AssetView);

export const StatusChange = Type.Object(
  { status: Type.Enum([...ASSET_STATUSES]) },
  { additionalProperties: false },
);

export const InvestorCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    country: Country,
    kycStatus: Type.Enum([...KYC_STATUSES]),
  },
  { additionalProperties: false },
);
export const InvestorPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    country: Type.Optional(Country),
    kycStatus: Type.Optional(Type.Enum([...KYC_STATUSES])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const InvestorView = Type.Object({
  id: Uuid,
  name: Type.String(),
  country: Type.String(),
  kycStatus: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const InvestorPage = pageOf(InvestorView);

export const MintBody = Type.Object({ to: Uuid, amount: Amount }, { additionalProperties: false });
export const TransferBody = Type.Object(
  { from: Uuid, to: Uuid, amount: Amount },
  { additionalProperties: false },
);
export const BurnBody = Type.Object({ from: Uuid, amount: Amount }, { additionalProperties: false });

/** The Idempotency-Key header: 1-255 printable ASCII characters, scoped to the API key. */
const idempotencyKeyHeader = (description: string) =>
  Type.Object({
    'idempotency-key': Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$', description }),
    ),
  });

export const IdempotencyHeaders = idempotencyKeyHeader(
  'Required. Retrying with the same key and body returns the first result; a different body is 422.',
);

export const UploadIdempotencyHeaders = idempotencyKeyHeader(
  'Optional. An upload resent with the same key, name, type and bytes is stored once and answered with the first document (Idempotent-Replayed: true); other bytes are 422.',
);

export const JournalEntryView = Type.Object({
  id: Uuid,
  assetId: Uuid,
  kind: Type.String(),
  from: Type.Union([Uuid, Type.Null()]),
  to: Type.Union([Uuid, Type.Null()]),
  amount: Amount,
  totalSupply: Type.Union([Amount, Type.Null()], {
    description: 'The supply a mint, burn or redemption left; null for a transfer, which does not change it.',
  }),
  createdAt: Timestamp,
});
export const JournalPage = pageOf(JournalEntryView);

export const HoldersView = Type.Object({
  assetId: Uuid,
  totalSupply: Amount,
  holders: Type.Array(Type.Object({ investorId: Uuid, balance: Amount })),
});

export const DocumentView = Type.Object({
  id: Uuid,
  assetId: Uuid,
  name: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  createdBy: Uuid,
  createdAt: Timestamp,
});
export const DocumentList = Type.Object({ items: Type.Array(DocumentView) });
export const Limits = Type.Object({
  documentMaxBytes: Type.Integer({
    minimum: 1,
    description: 'The largest document this deployment accepts, in bytes (its DOCUMENT_MAX_BYTES).',
  }),
});
export const DocumentContent = Type.String({
  format: 'binary',
  description:
    'The bytes, with the Content-Type they were uploaded with, an ETag, and Content-Disposition: attachment.',
});
export const NotModified = Type.Null({ description: 'Not modified: the If-None-Match ETag is current' });
export const DocumentParams = Type.Object({ id: Uuid, docId: Uuid }, { additionalProperties: false });
export const DocumentQuery = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
);

/** A 204 answer: no body (OpenAPI shows the response without content). */
export const NoContent = (description: string) => Type.Null({ description });

export const ApiKeyCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: Type.Enum([...ROLES]),
  },
  { additionalProperties: false },
);
export const ApiKeyView = Type.Object({
  id: Uuid,
  name: Type.String(),
  role: Type.String(),
  createdBy: Type.Union([Uuid, Type.Null()]),
  createdAt: Timestamp,
  revokedAt: Type.Union([Timestamp, Type.Null()]),
});
export const ApiKeyPage = pageOf(ApiKeyView);

export const ApiKeyCreated = Type.Object({
  id: Uuid,
  name: Type.String(),
  role: Type.String(),
  key: Type.String({ description: 'Shown once; only its hash is stored.' }),
  createdAt: Timestamp,
});

export const SessionCreate = Type.Object(
  { apiKey: Type.String({ minLength: 1, maxLength: 200, description: 'The API key to sign in with.' }) },
  { additionalProperties: false },
);
export const SessionView = Type.Object({
  principal: Type.Object({ id: Uuid, name: Type.String(), role: Type.String() }),
  csrfToken: Type.String({ description: 'Echo it in X-CSRF-Token on every state-changing request.' }),
  expiresAt: Timestamp,
});

export const ReconcileReportView = Type.Object({
  reconciled: Type.Boolean({ description: 'True when the books add up: no discrepancy listed.' }),
  startedAt: Timestamp,
  finishedAt: Timestamp,
  checked: Type.Object({
    assets: Type.Integer(),
    idempotencyRecords: Type.Integer(),
    documents: Type.Integer(),
    objects: Type.Integer({ description: 'Objects listed under documents/ in the object store.' }),
  }),
  discrepancies: Type.Array(
    Type.Object({
      kind: Type.Enum([...DISCREPANCY_KINDS], { description: 'What does not add up (docs/reconcile.md).' }),
      message: Type.String({ description: 'One line naming every id and both values.' }),
      assetId: Type.Optional(Uuid),
      investorId: Type.Optional(Uuid),
      principalId: Type.Optional(Uuid),
      idempotencyKey: Type.Optional(Type.String()),
      journalId: Type.Optional(Type.Union([Uuid, Type.Null()])),
      documentId: Type.Optional(Uuid),
      objectKey: Type.Optional(Type.String()),
      expected: Type.Optional(Type.String({ description: 'What the books say it should be.' })),
      actual: Type.Optional(Type.String({ description: 'What was found.' })),
    }),
  ),
  truncated: Type.Boolean({ description: 'More entries existed than a report lists (1000 per list).' }),
  pendingPurge: Type.Array(
    Type.Object({ objectKey: Type.String(), size: Type.Integer(), queuedAt: Timestamp }),
    { description: 'Objects of deleted documents kept until DOCUMENT_PURGE_AFTER_HOURS: expected.' },
  ),
  pendingPurgeCount: Type.Integer(),
});
