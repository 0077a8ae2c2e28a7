import { readFileSync } from 'node:fs';

/** What a command may touch of the outside world; tests substitute buffers. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): string;
}

export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: () => readFileSync(0, 'utf8'),
};

/** A user-facing failure: printed as one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
