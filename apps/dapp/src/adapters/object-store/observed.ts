import type { Readable } from 'node:stream';
import { errors, isRefusal } from '../../errors.ts';
import type { DependencyObserver } from '../../ports/dependency-observer.ts';
import type { ListedObject, ObjectStore, StoredObject } from '../../ports/object-store.ts';

/**
 * Any object store, reporting each use to its DependencyObserver: a success says the store is up, a
 * failure is counted by operation and says it is down. Failures come out as errors.objectStoreUnavailable
 * (503), except refusals raised by the body itself (a document over its size limit), which are the
 * client's and pass through uncounted. The health check's ping is not a use: it passes through, and the
 * health check reports its result.
 */
export class ObservedObjectStore implements ObjectStore {
  readonly kind: ObjectStore['kind'];

  constructor(
    /** The store itself, for clean-ups that are no client's use of it (their failure is only logged). */
    readonly unobserved: ObjectStore,
    private readonly observer: DependencyObserver,
  ) {
    this.kind = unobserved.kind;
  }

  private async observe<T>(operation: 'put' | 'get' | 'delete' | 'list', use: () => Promise<T>): Promise<T> {
    try {
      const result = await use();
      this.observer.up();
      return result;
    } catch (error) {
      if (isRefusal(error)) throw error;
      this.observer.failed(operation, error);
      this.observer.down();
      throw errors.objectStoreUnavailable.is(error) ? error : errors.objectStoreUnavailable.because(error);
    }
  }

  put(key: string, body: Readable, contentType: string): Promise<void> {
    return this.observe('put', () => this.unobserved.put(key, body, contentType));
  }

  get(key: string): Promise<StoredObject | undefined> {
    return this.observe('get', () => this.unobserved.get(key));
  }

  delete(key: string): Promise<void> {
    return this.observe('delete', () => this.unobserved.delete(key));
  }

  /** Each page is one use of the store: reported as up when it arrives, as failed when it does not. */
  async *list(prefix: string): AsyncIterable<ListedObject[]> {
    const pages = this.unobserved.list(prefix)[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.observe('list', () => pages.next());
      if (next.done) return;
      yield next.value;
    }
  }

  ping(): Promise<void> {
    return this.unobserved.ping();
  }

  close(): Promise<void> {
    return this.unobserved.close();
  }
}
