import { finished, Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { errors } from '../../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route streams its body (a document upload): bounded by a minimum rate instead of a deadline. */
    streamsBody?: boolean;
  }
}

export interface BodyLimits {
  /** A JSON body must arrive whole within this; a streamed one must keep the rate over each such window. */
  timeoutMs: number;
  minBytesPerSecond: number;
}

/**
 * A request body passed through unchanged, failed with errors.requestTimeout when it is too slow: a JSON
 * body that has not ended `timeoutMs` after its headers, or a streamed body that delivered fewer than
 * `minBytesPerSecond` over any window of `timeoutMs` (a fixed deadline would cut large uploads on slow
 * links, and no deadline lets a trickle hold a connection for ever).
 */
class BodyWatch extends Transform {
  private received = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(limits: BodyLimits, streamed: boolean) {
    super();
    const windowBytes = (limits.minBytesPerSecond * limits.timeoutMs) / 1000;
    this.timer = streamed
      ? setInterval(() => {
          if (this.received < windowBytes) {
            this.expire(`the upload fell below ${limits.minBytesPerSecond} bytes per second`);
          }
          this.received = 0;
        }, limits.timeoutMs)
      : setTimeout(
          () => this.expire(`the body did not arrive within ${limits.timeoutMs} ms`),
          limits.timeoutMs,
        );
  }

  private expire(what: string): void {
    this.destroy(errors.requestTimeout(what));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearTimeout(this.timer);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    callback(error);
  }
}

/**
 * Bounds the body phase of every request that has a body. Node bounds the headers (headersTimeout) and
 * idle connections (keepAliveTimeout) itself; its requestTimeout cannot tell a JSON body from an upload,
 * so the body is watched here. The answer is a 408 whose `Connection: close` ends the connection.
 */
export function registerBodyDeadline(app: FastifyInstance, limits: BodyLimits): void {
  app.addHook('preParsing', (request, reply, payload, done) => {
    const headers = request.headers;
    if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
      done(null, payload);
      return;
    }
    const watch = new BodyWatch(limits, request.routeOptions.config.streamsBody === true);
    // `finished`, not an 'error' listener: a client gone mid-body may leave the payload closed without an
    // error, and the watch (what the route reads) must end too.
    finished(payload, { writable: false }, (error) => {
      if (error) watch.destroy(error);
    });
    // Whoever reads the body (the JSON parser, an upload) listens for its errors; a body nobody reads (a
    // request refused before it was parsed) must not raise one unheard. The watch ends with the response.
    watch.on('error', () => undefined);
    reply.raw.once('close', () => watch.destroy());
    done(null, payload.pipe(watch));
  });
}
