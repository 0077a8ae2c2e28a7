import type { Command } from 'commander';
import type { CliIO } from './io.ts';

/** What every command module gets from main.ts. */
export interface CommandContext {
  io: CliIO;
  version: string;
  /** The command's verdict: 0 ok, 1 failed (usage and input errors are thrown, not set). */
  setExitCode(code: number): void;
}

/** A command module registers itself on the program (see commands/check.ts). */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;
