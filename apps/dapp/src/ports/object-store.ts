import type { Readable } from 'node:stream';

export interface StoredObject {
  size: number;
  contentType: string;
  body: Readable;
}

/**
 * The object storage port. `put` must be all-or-nothing: when the body stream errors (client gone, size
 * limit) or the store fails, no object is visible under the key afterwards. A failure of the store itself
 * is thrown as errors.objectStoreUnavailable (errors.ts).
 */
export interface ObjectStore {
  readonly kind: 'filesystem' | 's3' | 'azure';
  put(key: string, body: Readable, contentType: string): Promise<void>;
  /** Resolves undefined when the key does not exist. */
  get(key: string): Promise<StoredObject | undefined>;
  delete(key: string): Promise<void>;
  /** Cheap reachability probe for readiness reporting. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
