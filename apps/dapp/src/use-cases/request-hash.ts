import { hash } from 'node:crypto';

/**
 * The body as JSON with its fields in sorted order, so {"a","b"} and {"b","a"} are the same request. The
 * same text as JSON.stringify(body, sortedKeys), which is what stored hashes were computed from; built by
 * hand for flat bodies of strings (every ledger write's), because a replacer array takes JSON.stringify off
 * its fast path and that was a measurable share of a transfer's CPU.
 */
export function canonicalBody(body: Record<string, unknown>): string {
  const keys = Object.keys(body).sort();
  let text = '';
  for (const key of keys) {
    const value = body[key];
    if (typeof value !== 'string') return JSON.stringify(body, keys);
    text += `${text ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return `{${text}}`;
}

/** What an idempotency key is bound to: method, path (without query) and canonical body, as sha256 hex. */
export function requestHash(method: string, url: string, body: Record<string, unknown>): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return hash('sha256', `${method} ${path}\n${canonicalBody(body)}`, 'hex');
}
