import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ExecResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with every output line as it arrives (stdout and stderr alike): progress of long commands. */
  onLine?: (line: string) => void;
}

/** Runs a command to its end and collects its output; never throws on a non-zero exit. */
export function exec(
  command: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    const err: string[] = [];
    const collect = (stream: NodeJS.ReadableStream, into: string[]) =>
      new Promise<void>((done) => {
        const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
        lines.on('line', (line) => {
          into.push(line);
          options.onLine?.(line);
        });
        lines.on('close', done);
      });
    const streams = Promise.all([collect(child.stdout, out), collect(child.stderr, err)]);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      void streams.then(() =>
        resolve({ status: code ?? (signal ? 128 : 1), stdout: out.join('\n'), stderr: err.join('\n') }),
      );
    });
  });
}

/** Like exec, but a non-zero exit is an error carrying the command and the end of its output. */
export async function execOrThrow(
  command: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const result = await exec(command, args, options);
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${command} ${args.slice(0, 3).join(' ')} ... exited with ${result.status}:\n${tail}`);
  }
  return result;
}
