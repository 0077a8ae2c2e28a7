// The console's only way to the platform: the public /api/v1, with the session cookie the browser sends by
// itself and the CSRF token this module holds in memory (read again from /api/v1/sessions/current on load).

export interface Principal {
  id: string;
  name: string;
  role: 'admin' | 'issuer' | 'compliance' | 'viewer';
}

export interface Session {
  principal: Principal;
  csrfToken: string;
  expiresAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A refusal or failure as the API reported it: its status, machine-readable code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
/** Called when the API says the session has ended (signed out elsewhere, key revoked, expired). */
let onSessionEnded: () => void = () => undefined;

export function setSessionEndedHandler(handler: () => void): void {
  onSessionEnded = handler;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Options {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

async function send(method: string, path: string, options: Options = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (UNSAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  return fetch(path, { method, headers, body, credentials: 'same-origin' });
}

async function parse<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = data?.error ?? { code: 'http_error', message: `HTTP ${response.status}` };
    if (response.status === 401 && error.code === 'session_invalid') onSessionEnded();
    throw new ApiError(response.status, error.code, error.message);
  }
  return data as T;
}

/** Waits `ms`, so a retry gives a failover time to finish. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries after a 503 or a broken connection, this many times, a second or two apart (about a minute). */
const RETRIES = 30;

/**
 * Reads are retried on 503 (a replica or the database failing over) and on a broken connection (the replica
 * that held it was killed): a read changes nothing, so trying again is always safe.
 */
export async function get<T>(path: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await send('GET', path);
      if (response.status === 503 && attempt < RETRIES) {
        await pause(1000);
        continue;
      }
      return await parse<T>(response);
    } catch (error) {
      if (error instanceof ApiError || attempt >= RETRIES) throw error;
      await pause(1000);
    }
  }
}

export async function call<T>(method: string, path: string, options: Options = {}): Promise<T> {
  return parse<T>(await send(method, path, options));
}

/**
 * A ledger write: one idempotency key per submission, reused by every retry, so a write the platform
 * answered 503 to (or whose answer was lost with a killed replica) is applied exactly once however often
 * it is sent. `progress` tells the person what is happening meanwhile.
 */
export async function ledgerWrite<T>(
  path: string,
  json: unknown,
  progress: (message: string) => void,
): Promise<T> {
  const key = crypto.randomUUID();
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await send('POST', path, { json, headers: { 'idempotency-key': key } });
    } catch (error) {
      if (attempt > RETRIES) throw error;
      progress(
        `The connection was lost; sending again with the same idempotency key (attempt ${attempt + 1}).`,
      );
      await pause(1000);
      continue;
    }
    if (response.status === 503 && attempt <= RETRIES) {
      progress(
        `The platform is failing over (503); retrying with the same idempotency key (attempt ${attempt + 1}).`,
      );
      await pause(Math.min(2000, 500 * attempt));
      continue;
    }
    return parse<T>(response);
  }
}

export async function signIn(apiKey: string): Promise<Session> {
  const session = await call<Session>('POST', '/api/v1/sessions', { json: { apiKey } });
  csrfToken = session.csrfToken;
  return session;
}

/** The session the browser's cookie carries, if any. */
export async function currentSession(): Promise<Session | undefined> {
  const response = await send('GET', '/api/v1/sessions/current');
  if (response.status === 401) return undefined;
  const session = await parse<Session>(response);
  csrfToken = session.csrfToken;
  return session;
}

export async function signOut(): Promise<void> {
  try {
    await call('DELETE', '/api/v1/sessions/current');
  } finally {
    csrfToken = '';
  }
}

/**
 * A document upload with progress: fetch() reports no upload progress, XMLHttpRequest does (a platform
 * API, not a library).
 */
export function upload(
  path: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<{ id: string; name: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      const data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else
        reject(
          new ApiError(
            xhr.status,
            data?.error?.code ?? 'http_error',
            data?.error?.message ?? `HTTP ${xhr.status}`,
          ),
        );
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'the upload was interrupted'));
    xhr.send(file);
  });
}
