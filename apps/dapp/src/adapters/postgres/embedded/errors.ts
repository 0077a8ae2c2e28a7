/**
 * A start-up failure of the embedded PostgreSQL. The message is the whole story for the one line `dapp`
 * prints before it exits 1: what went wrong (the PostgreSQL log line, the port, the lock) and what to do.
 */
export class EmbeddedDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseError';
  }
}

/** Said at the end of every failure the user can sidestep by not using the embedded database at all. */
export const OR_EXTERNAL = 'or set DATABASE_URL to use a PostgreSQL server of your own';
