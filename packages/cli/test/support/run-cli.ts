import type { CliIO } from '../../src/io.ts';
import { main } from '../../src/main.ts';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output: the same code path as the bin, minus process start-up. */
export async function dalp(args: string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: () => stdin,
  };
  const code = await main(['node', 'dalp', ...args], io);
  return { code, stdout, stderr };
}
