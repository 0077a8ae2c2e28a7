// The client side of the drills: plain HTTP to the service's public API, every request bounded in time.
// A request that gets no answer (refused, reset, timed out) is status 0, never an exception.
import { randomBytes } from 'node:crypto';

/** Where the API is and the key it is called with (the lab's admin key, or one given to the drill). */
export interface ApiEndpoint {
  baseUrl: string;
  key?: string;
}

export interface ApiAnswer {
  status: number;
  /** Parsed JSON when the answer was JSON; undefined otherwise or when none came. */
  body?: Record<string, unknown>;
}

export async function call(
  api: ApiEndpoint,
  method: string,
  path: string,
  options: { json?: unknown; bytes?: Uint8Array; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (api.key) headers.authorization = `Bearer ${api.key}`;
  let body: string | Uint8Array | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.bytes) {
    headers['content-type'] ??= 'application/octet-stream';
    body = options.bytes;
  }
  try {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    const json = response.headers.get('content-type')?.includes('application/json');
    return {
      status: response.status,
      body: json && text ? (JSON.parse(text) as ApiAnswer['body']) : undefined,
    };
  } catch {
    return { status: 0 };
  }
}

let counter = 0;
/** A key unique to this process run: an idempotency key, or an operation's id. */
export function uniqueKey(prefix = 'drill'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}-${randomBytes(4).toString('hex')}`;
}
