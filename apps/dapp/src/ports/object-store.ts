import type { Readable } from 'node:stream';

export interface StoredObject {
  size: number;
  contentType: string;
  body: Readable;
}

/** One object a listing found: its key (without the store's configured prefix) and its size in bytes. */
export interface ListedObject {
  key: string;
  size: number;
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
  /** Deleting a key that does not exist succeeds (two purgers may race on one key). */
  delete(key: string): Promise<void>;
  /**
   * Every object whose key starts with `prefix`, a page at a time as the store returns them (never the whole
   * listing in memory), in no promised order. For reconcile's orphan check.
   */
  list(prefix: string): AsyncIterable<ListedObject[]>;
  /** Cheap reachability probe for readiness reporting. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
