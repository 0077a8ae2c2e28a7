import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { errors } from '../errors.ts';

/** Counts and hashes bytes as they stream to the store, failing the stream past the size limit. */
export class DocumentMeter extends Transform {
  size = 0;
  private readonly hash = createHash('sha256');
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      callback(errors.payloadTooLarge(this.limit));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}
