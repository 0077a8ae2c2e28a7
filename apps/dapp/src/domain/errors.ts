/**
 * Why a domain operation was refused. The HTTP layer maps each kind to a status code; the domain itself
 * knows nothing of HTTP.
 */
export type DomainErrorKind =
  | 'invalid' // malformed input the schema could not catch (400)
  | 'not_found' // (404)
  | 'conflict' // duplicate or invalid state transition (409)
  | 'rule_violation' // a compliance or ledger rule (422)
  | 'idempotency_misuse' // same key, different request (422)
  | 'forbidden'; // role does not allow it (403)

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, id: string) =>
  new DomainError('not_found', `${what}_not_found`, `${what} ${id} does not exist`);
