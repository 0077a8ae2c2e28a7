// Every error the API answers with, in one catalog: status, machine-readable code, when it happens, and its
// message. Code throws from here (`throw errors.assetNotFound(id)`), the HTTP error handler answers with
// what the error carries, and the error table of docs/api.md is generated from this list
// (`npm run docs -w @dalp/dapp`; test/unit/errors.test.ts fails when the page is stale). Modelled on
// fastify's lib/errors.js. Nothing here knows HTTP beyond the status number and headers it answers with.

export interface ErrorDefinition {
  /** The HTTP status the API answers with. */
  status: number;
  code: string;
  /** When the API answers with it, for docs/api.md. */
  when: string;
  /** Headers every answer with this code carries. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * An error the API answers with. Refusals (4xx) capture no stack: nothing ever reads it (the API answers
 * with the code and message, and only 5xx errors are logged), and capturing one walks the call stack, a
 * measurable cost for a flood of bad requests or of refused transfers under contention. Faults (5xx) keep
 * theirs, and their cause, for the log.
 */
export class ApiError extends Error {
  readonly definition: ErrorDefinition;
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    definition: ErrorDefinition,
    message: string,
    options: { cause?: unknown; status?: number; headers?: Record<string, string> } = {},
  ) {
    const status = options.status ?? definition.status;
    const limit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = limit;
    this.name = 'ApiError';
    this.definition = definition;
    this.status = status;
    this.code = definition.code;
    this.headers = options.headers
      ? { ...definition.headers, ...options.headers }
      : (definition.headers ?? {});
  }
}

/** An error that refuses a request (a 4xx) rather than reporting a fault. */
export function isRefusal(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status < 500;
}

/** One entry of the catalog: its definition, and a factory of errors with its message. */
export interface ErrorCode<A extends unknown[]> extends ErrorDefinition {
  (...args: A): ApiError;
  /** The same error, caused by `cause` (kept for the log). */
  because(cause: unknown, ...args: A): ApiError;
  /** Whether `error` is an error of this code. */
  is(error: unknown): error is ApiError;
}

function define<A extends unknown[]>(
  definition: ErrorDefinition,
  message: (...args: A) => string,
  headers?: (...args: A) => Record<string, string>,
): ErrorCode<A> {
  const create = (...args: A) => new ApiError(definition, message(...args), { headers: headers?.(...args) });
  return Object.assign(create, definition, {
    because: (cause: unknown, ...args: A) =>
      new ApiError(definition, message(...args), { cause, headers: headers?.(...args) }),
    is: (error: unknown): error is ApiError => error instanceof ApiError && error.code === definition.code,
  });
}

/** The message of an error whose text comes from elsewhere (a framework's own, a validator's). */
const given = (message: string) => message;

/** Seconds a client should wait before retrying after a dependency failure (failovers take a few). */
const RETRY = { 'retry-after': '2' };
const BEARER = { 'www-authenticate': 'Bearer' };

const AMOUNT_PROBLEMS = {
  format: 'must be a string of base-unit digits without sign, decimal point or leading zeros',
  range: 'exceeds 2^256-1',
  zero: 'must be greater than zero',
} as const;

export const errors = {
  // 400
  invalidJson: define(
    { status: 400, code: 'invalid_json', when: 'the body is not JSON, or empty where JSON is expected' },
    given,
  ),
  validationFailed: define(
    {
      status: 400,
      code: 'validation_failed',
      when: 'a body, parameter or header breaks the route’s schema: a wrong type (no coercion: `"2"` is not `2`), an unknown field, a missing one',
    },
    given,
  ),
  invalidContentLength: define(
    {
      status: 400,
      code: 'invalid_content_length',
      when: 'the Content-Length header does not match the body',
    },
    given,
  ),
  malformedRequest: define(
    {
      status: 400,
      code: 'malformed_request',
      when: 'the HTTP request itself cannot be parsed (request line, a header, a chunk); the connection is closed',
      headers: { connection: 'close' },
    },
    () => 'the HTTP request is malformed',
  ),
  badUrl: define(
    { status: 400, code: 'bad_url', when: 'the URL cannot be decoded (a malformed percent escape)' },
    () => 'the URL cannot be decoded',
  ),
  hostRequired: define(
    { status: 400, code: 'host_required', when: 'an HTTP/1.1 request has no Host header' },
    () => 'HTTP/1.1 requests need a Host header',
  ),
  badRequest: define(
    {
      status: 400,
      code: 'bad_request',
      when: 'any other request the HTTP framework refuses, with its own 4xx status',
    },
    given,
  ),
  invalidText: define(
    {
      status: 400,
      code: 'invalid_text',
      when: 'a string holds a NUL character or a lone UTF-16 surrogate (text PostgreSQL cannot store)',
    },
    (where: string) => `${where} holds a NUL character or a lone UTF-16 surrogate`,
  ),
  invalidData: define(
    {
      status: 400,
      code: 'invalid_data',
      when: 'the database refused a value as malformed or out of range (PostgreSQL’s data exceptions)',
    },
    () => 'a value of the request cannot be stored',
  ),
  invalidAmount: define(
    {
      status: 400,
      code: 'invalid_amount',
      when: 'an amount is not a base-unit integer string, is above 2^256-1, or is zero where it must be positive',
    },
    (field: string, problem: keyof typeof AMOUNT_PROBLEMS) => `${field} ${AMOUNT_PROBLEMS[problem]}`,
  ),
  invalidCountry: define(
    { status: 400, code: 'invalid_country', when: 'a country is not an ISO 3166-1 alpha-2 code' },
    (codes: readonly string[], one = false) =>
      one
        ? `${codes[0]} is not an ISO 3166-1 alpha-2 country code`
        : `not ISO 3166-1 alpha-2 country codes: ${codes.join(', ')}`,
  ),
  invalidDate: define(
    { status: 400, code: 'invalid_date', when: 'a bond’s maturityDate is not a calendar date' },
    () => 'maturityDate must be a calendar date YYYY-MM-DD',
  ),
  bondTermsRequired: define(
    {
      status: 400,
      code: 'bond_terms_required',
      when: 'a bond is created without faceValue and maturityDate',
    },
    () => 'a bond needs faceValue and maturityDate',
  ),
  bondTermsNotAllowed: define(
    { status: 400, code: 'bond_terms_not_allowed', when: 'another asset type is created with bond terms' },
    () => 'faceValue and maturityDate apply to bonds only',
  ),
  invalidCursor: define(
    { status: 400, code: 'invalid_cursor', when: 'a page cursor is not one this API returned' },
    () => 'cursor is not one this API returned',
  ),
  uploadIncomplete: define(
    {
      status: 400,
      code: 'upload_incomplete',
      when: 'a document upload’s connection closed or broke before its body was read whole (the client is gone; counted as its failure, not the object store’s)',
    },
    () => 'the connection ended before the document was received whole',
  ),
  idempotencyKeyRequired: define(
    { status: 400, code: 'idempotency_key_required', when: 'a ledger write has no Idempotency-Key header' },
    () => 'ledger writes need an Idempotency-Key header',
  ),
  // 401, 403
  unauthenticated: define(
    {
      status: 401,
      code: 'unauthenticated',
      when: 'no `Authorization: Bearer <key>` header',
      headers: BEARER,
    },
    () => 'send an API key as "Authorization: Bearer <key>"',
  ),
  invalidApiKey: define(
    { status: 401, code: 'invalid_api_key', when: 'the API key is unknown or revoked', headers: BEARER },
    () => 'the API key is not valid',
  ),
  sessionInvalid: define(
    {
      status: 401,
      code: 'session_invalid',
      when: 'a console session cookie is unknown, expired, signed out, or its API key was revoked',
    },
    () => 'the session has ended; sign in again',
  ),
  noSession: define(
    {
      status: 404,
      code: 'no_session',
      when: 'a session route is called with an API key rather than a console session cookie: there is no session to show or end',
    },
    () => 'this route needs a console session (sign in at POST /api/v1/sessions)',
  ),
  csrfTokenInvalid: define(
    {
      status: 403,
      code: 'csrf_token_invalid',
      when: 'a state-changing request made with a console session lacks its X-CSRF-Token',
    },
    () => 'the X-CSRF-Token header is missing or does not match the session',
  ),
  forbidden: define(
    { status: 403, code: 'forbidden', when: 'the key’s role does not allow the route' },
    (role: string, roles: readonly string[]) =>
      `role ${role} may not do this; it needs one of: admin, ${roles.join(', ')}`,
  ),
  // 404
  assetNotFound: define(
    { status: 404, code: 'asset_not_found', when: 'the asset does not exist' },
    (id: string) => `asset ${id} does not exist`,
  ),
  investorNotFound: define(
    {
      status: 404,
      code: 'investor_not_found',
      when: 'the investor, or a party of a ledger write, does not exist',
    },
    (role: 'investor' | 'sender' | 'receiver' | 'holder', id: string | undefined) =>
      `${role} ${id} does not exist`,
  ),
  documentNotFound: define(
    { status: 404, code: 'document_not_found', when: 'the document does not exist (for this asset)' },
    (id: string) => `document ${id} does not exist`,
  ),
  apiKeyNotFound: define(
    { status: 404, code: 'api_key_not_found', when: 'the API key does not exist' },
    (id: string) => `API key ${id} does not exist`,
  ),
  routeNotFound: define(
    { status: 404, code: 'route_not_found', when: 'no route has this method and path' },
    // Not the URL itself: an answer never echoes what the client sent.
    (method: string) => `no route for ${method} at this path`,
  ),
  // 408
  requestTimeout: define(
    {
      status: 408,
      code: 'request_timeout',
      when: 'the headers did not arrive within `HTTP_HEADERS_TIMEOUT_MS`, a JSON body within `HTTP_BODY_TIMEOUT_MS`, or an upload fell below `UPLOAD_MIN_BYTES_PER_SECOND` (its connection is closed)',
      headers: { connection: 'close' },
    },
    (what: string) => `${what}; the connection is closed`,
  ),
  // 409
  symbolTaken: define(
    { status: 409, code: 'symbol_taken', when: 'an asset with this symbol exists' },
    (symbol: string) => `an asset with symbol ${symbol} already exists`,
  ),
  invalidTransition: define(
    {
      status: 409,
      code: 'invalid_transition',
      when: 'the lifecycle does not allow the status change (draft -> active <-> paused, active|paused -> closed)',
    },
    (from: string, to: string) => `an asset cannot go from ${from} to ${to}`,
  ),
  idempotencyKeyInFlight: define(
    {
      status: 409,
      code: 'idempotency_key_in_flight',
      when: 'the first request with this Idempotency-Key vanished while it was being replayed; retry',
    },
    () => 'a request with this Idempotency-Key is in flight',
  ),
  idempotencyKeyDocumentDeleted: define(
    {
      status: 409,
      code: 'idempotency_key_document_deleted',
      when: 'a document upload is replayed with an Idempotency-Key whose document has since been deleted (it is not stored again); upload with a new key',
    },
    () => 'the document an upload with this Idempotency-Key stored has been deleted',
  ),
  // 413, 415, 431
  payloadTooLarge: define(
    {
      status: 413,
      code: 'payload_too_large',
      when: 'the body is above the limit: 64 KiB of JSON; `DOCUMENT_MAX_BYTES` for a document (its connection is closed)',
    },
    (limit: number) => `documents are limited to ${limit} bytes`,
    // The rest of the body is not read: closing the connection is the only clean way to refuse it.
    () => ({ connection: 'close' }),
  ),
  unsupportedMediaType: define(
    { status: 415, code: 'unsupported_media_type', when: 'a JSON route is sent another content type' },
    given,
  ),
  contentTypeRequired: define(
    { status: 415, code: 'content_type_required', when: 'a document is uploaded without a Content-Type' },
    () => 'send the document with its Content-Type',
  ),
  uriTooLong: define(
    { status: 414, code: 'uri_too_long', when: 'a path parameter is longer than 100 characters' },
    () => 'a path parameter is too long',
  ),
  headersTooLarge: define(
    {
      status: 431,
      code: 'headers_too_large',
      when: 'the request headers are larger than Node’s limit (16 KiB); the connection is closed',
      headers: { connection: 'close' },
    },
    () => 'the request headers are too large',
  ),
  // 422
  assetNotActive: define(
    { status: 422, code: 'asset_not_active', when: 'a ledger write on an asset that is not active' },
    (symbol: string, status: string) => `asset ${symbol} is ${status}; ledger writes need an active asset`,
  ),
  kycNotVerified: define(
    { status: 422, code: 'kyc_not_verified', when: 'a party of a ledger write is not KYC verified' },
    (role: string, id: string, status: string) => `${role} ${id} has KYC status ${status}`,
  ),
  countryNotAllowed: define(
    {
      status: 422,
      code: 'country_not_allowed',
      when: 'the receiver’s country is not among the asset’s allowed countries',
    },
    (symbol: string, country: string, allowed: readonly string[]) =>
      `asset ${symbol} may not be held in ${country} (allowed: ${allowed.join(', ')})`,
  ),
  insufficientBalance: define(
    {
      status: 422,
      code: 'insufficient_balance',
      when: 'a transfer, burn or redemption would take a balance below zero',
    },
    (investor: string, holds: bigint, amount: bigint) =>
      `investor ${investor} holds ${holds}, less than ${amount}`,
  ),
  maxSupplyExceeded: define(
    {
      status: 422,
      code: 'max_supply_exceeded',
      when: 'a mint would take the supply above maxSupply (or 2^256-1)',
    },
    (amount: bigint, cap: bigint) => `minting ${amount} would exceed max supply ${cap}`,
  ),
  selfTransfer: define(
    { status: 422, code: 'self_transfer', when: 'a transfer’s sender and receiver are the same investor' },
    () => 'sender and receiver are the same investor',
  ),
  idempotencyKeyReused: define(
    {
      status: 422,
      code: 'idempotency_key_reused',
      when: 'an Idempotency-Key is reused with a different request',
    },
    () => 'this Idempotency-Key was already used with a different request',
  ),
  // 429
  rateLimited: define(
    {
      status: 429,
      code: 'rate_limited',
      when: 'more than `RATE_LIMIT_PER_MINUTE` requests for one key in a sliding minute (with `Retry-After`)',
    },
    (limit: number, _retryAfterSeconds: number) => `more than ${limit} requests per minute for this key`,
    (_limit, retryAfterSeconds) => ({ 'retry-after': String(retryAfterSeconds) }),
  ),
  authFailuresLimited: define(
    {
      status: 429,
      code: 'too_many_auth_failures',
      when: 'more than `AUTH_FAILURES_PER_MINUTE` unknown or revoked keys from one client address in a sliding minute: its keys are not checked until `Retry-After`',
    },
    (_retryAfterSeconds: number) => 'too many failed authentications from this address; retry later',
    (retryAfterSeconds) => ({ 'retry-after': String(retryAfterSeconds) }),
  ),
  reconcileRunning: define(
    {
      status: 429,
      code: 'reconcile_running',
      when: '`GET /api/v1/reconcile` while a run of it is in progress on the same replica (one at a time per replica); retry after `Retry-After` seconds',
      headers: { 'retry-after': '10' },
    },
    () => 'a reconcile run is in progress on this replica; retry once it has finished',
  ),
  // 500, 503
  internalError: define(
    { status: 500, code: 'internal_error', when: 'a fault of the service itself (logged with its stack)' },
    () => 'internal error',
  ),
  databaseUnavailable: define(
    {
      status: 503,
      code: 'database_unavailable',
      when: 'the database cannot be reached or lost the connection (any route); retry after `Retry-After` seconds',
      headers: RETRY,
    },
    () => 'the database is unavailable; retry shortly',
  ),
  databaseTimeout: define(
    {
      status: 503,
      code: 'database_timeout',
      when: 'a statement ran past `DATABASE_STATEMENT_TIMEOUT_MS`; retry after `Retry-After` seconds',
      headers: RETRY,
    },
    () => 'the database did not answer in time; retry shortly',
  ),
  writeConflict: define(
    {
      status: 503,
      code: 'write_conflict',
      when: "a write lost its race with other writers of the same rows again and again (PostgreSQL deadlock or serialization failure, after the service's own retries); retry after `Retry-After` seconds with the same `Idempotency-Key`",
      headers: RETRY,
    },
    () => 'the write conflicted with concurrent writes; retry shortly',
  ),
  objectStoreUnavailable: define(
    {
      status: 503,
      code: 'object_store_unavailable',
      when: 'the object store failed or lost a document’s bytes (document routes and reconcile only); retry after `Retry-After` seconds',
      headers: RETRY,
    },
    () => 'document storage is unavailable; retry shortly',
  ),
};

/** Every catalog entry, in catalog order. */
export const ERROR_CODES: ReadonlyArray<ErrorCode<never[]>> = Object.values(errors) as never;
