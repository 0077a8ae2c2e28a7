// What PostgreSQL's errors mean to the service, in one place: which SQLSTATEs and client-side messages are
// a lost connection, a lost race, a duplicate key or a statement timeout. Nothing outside adapters/postgres
// and the stores reads a SQLSTATE; the database adapter turns the ones the API answers for into errors of
// the catalog (errors.ts).

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: the server is going down (switchover, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '25006', // read_only_sql_transaction: we reached a replica that was (or became) read-only after failover
  '53300', // too_many_connections
]);

/**
 * The code of the error a password file gone or empty gives a connection attempt (database.ts): the
 * database cannot be reached with it, which is an outage of the dependency (503), not a bug (500).
 */
export const PASSWORD_FILE_ERROR = 'DALP_PASSWORD_FILE';

// A login refused (invalid_password, invalid_authorization_specification): during a rotation the file and
// the server can disagree for a moment; after it, a replica on a revoked password. Either way the database
// is unreachable for this replica (503), and database.ts retries the first case.
const AUTHENTICATION_CODES = new Set(['28P01', '28000']);

const codeOf = (error: unknown) => (error as { code?: string } | undefined)?.code;

/** True when an error means "the database is not there right now" rather than "the query is wrong". */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = codeOf(error);
  if (code && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  if (code && (AUTHENTICATION_CODES.has(code) || code === PASSWORD_FILE_ERROR)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Connection ended/i.test(
    error.message,
  );
}

/** True when the server refused the login (wrong password, no such role, pg_hba). */
export function isAuthenticationFailure(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && AUTHENTICATION_CODES.has(code);
}

const RETRYABLE_TX_CODES = new Set(['40001', '40P01']); // serialization failure, deadlock detected

/** True when a statement lost a race with another writer (serialization failure, deadlock): re-running is safe. */
export function isWriteConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && RETRYABLE_TX_CODES.has(code);
}

/** True when an INSERT hit the unique index `constraint` (unique_violation). */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  return codeOf(error) === '23505' && (error as { constraint?: string }).constraint === constraint;
}

/** True when a statement ran past statement_timeout (query_canceled): the database is too slow right now. */
export function isStatementTimeout(error: unknown): boolean {
  return codeOf(error) === '57014';
}

/**
 * True for PostgreSQL's data exceptions (class 22: a malformed value, one out of range, a character it
 * cannot store): the request's data is wrong, whatever let it through.
 */
export function isDataException(error: unknown): boolean {
  return codeOf(error)?.startsWith('22') === true;
}
