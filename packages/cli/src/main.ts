import { InputError } from '@dalp/check';
import { LabUsageError } from '@dalp/lab';
import { Command, CommanderError } from 'commander';
import type { CommandContext, RegisterCommand } from './command.ts';
import { cliVersion, registerCheck } from './commands/check.ts';
import { registerDrill } from './commands/drill.ts';
import { registerLab } from './commands/lab.ts';
import { registerReconcile } from './commands/reconcile.ts';
import { type CliIO, processIO, UsageError } from './io.ts';

/** Every command of the CLI, one module each. */
const COMMANDS: RegisterCommand[] = [registerCheck, registerLab, registerDrill, registerReconcile];

/**
 * The dalp command line. Each command is its own module under commands/ and registers itself here.
 * Returns the exit status: 0 ok, 1 findings at or above --fail-on, 2 bad usage or unreadable input,
 * 3 an internal error (a bug: the message is still one line; DALP_DEBUG=1 prints the stack).
 */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  let exitCode = 0;
  const version = cliVersion();
  const program = new Command('dalp')
    .description(
      'DALP cloud-native high availability: production-readiness checks, the HA lab, recovery drills',
    )
    .version(version)
    .exitOverride()
    // Usage errors stay on one line ("error: ..."), like every other user error of the CLI.
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (text, write) => write(`${text.trim().replace(/\s*\n\s*/g, ' ')}\n`),
    });
  const ctx: CommandContext = {
    io,
    version,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  for (const register of COMMANDS) register(program, ctx);
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander already printed its one-line usage error otherwise.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof InputError || error instanceof UsageError || error instanceof LabUsageError) {
      io.stderr(`dalp: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    io.stderr(`dalp: internal error: ${message}\n`);
    if (process.env.DALP_DEBUG) io.stderr(`${(error as Error)?.stack ?? ''}\n`);
    return 3;
  }
}
