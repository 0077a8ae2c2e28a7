import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino';

/** Logger options: JSON lines, a request id on every line, credentials never written. */
export function loggerOptions(level: string) {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        '*.apiKey',
        'headers.authorization',
        '*.password',
        '*.key',
      ],
      censor: '[redacted]',
    },
  };
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Parent = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

/**
 * A child logger that is only made when it first writes a line.
 *
 * Why: creating a pino child serialises its bindings, and Fastify makes one for every request (to bind the
 * request id). A request that logs nothing at the configured level (nearly all of them at `info` and
 * above) paid for it anyway, a measurable share of a cached read (docs/operations.md). Until it writes,
 * this logger answers from its parent: the level, and whether a level is enabled. Its own children are
 * lazy as well, and made through it, so bindings and serializers accumulate exactly as with pino's own
 * children.
 */
export class RequestLogger implements FastifyBaseLogger {
  private real: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: Parent | RequestLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {
    // A child with a level of its own (a route's logLevel) decides by that level: make it now.
    if (options.level !== undefined) this.materialize();
  }

  /** The pino child this logger stands for, made on first use. */
  materialize(): FastifyBaseLogger {
    this.real ??=
      this.parent instanceof RequestLogger
        ? this.parent.materialize().child(this.bindings, this.options)
        : this.parent.child(this.bindings, this.options);
    return this.real;
  }

  isLevelEnabled(level: string): boolean {
    const decider = (this.real ?? this.parent) as Parent | RequestLogger;
    return decider.isLevelEnabled(level);
  }

  private write(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    const real = this.materialize();
    (real[level] as (...a: unknown[]) => void).apply(real, args);
  }

  get level(): LevelWithSilentOrString {
    return (this.real ?? this.parent).level;
  }

  set level(level: LevelWithSilentOrString) {
    this.materialize().level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return new RequestLogger(this, bindings, options ?? {});
  }
}

/**
 * The service's logger as Fastify should get it: the same logger, whose children are RequestLoggers.
 * Given through the logger rather than Fastify's childLoggerFactory option, because Fastify re-validates
 * the logger a custom factory returns, on every request.
 */
export function withLazyRequestLoggers(logger: FastifyBaseLogger): FastifyBaseLogger {
  const root = Object.create(logger) as FastifyBaseLogger;
  root.child = (bindings, options) => new RequestLogger(logger as Parent, bindings, options ?? {});
  return root;
}
