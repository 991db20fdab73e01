import type { CliIo } from './io';

/** One option of a command, as node's `util.parseArgs` takes it, plus help text. */
export interface CommandOption {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
  /** Shown in help as `--name <valueName>`. */
  valueName?: string;
}

/** Parsed command line: positionals and option values. */
export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
}

/**
 * A command of the `metacompress` binary: adding a command is one new file that exports one of
 * these, listed in `commands/index.ts`.
 *
 * @example
 * export const hello = defineCommand({
 *   name: 'hello', summary: 'Say hello', usage: 'hello <name>', options: {},
 *   async run({ positionals }, io) { io.out(`hello ${positionals[0]}\n`); return 0; },
 * });
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, CommandOption>;
  /** Longer help shown after the options. */
  details?: string;
  /** Returns the exit code. Throw `UsageError` for bad arguments. */
  run(args: ParsedArgs, io: CliIo, globals: GlobalFlags): Promise<number>;
}

/** Flags every command understands. */
export interface GlobalFlags {
  json: boolean;
  verbose: boolean;
}

/** Identity helper that types a command definition. */
export function defineCommand(command: Command): Command {
  return command;
}

/** Bad command-line usage: printed as one line with exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes of the binary. */
export const ExitCode = {
  OK: 0,
  /** Something failed while running (a backend, an operator). */
  FAILURE: 1,
  /** The command line is wrong. */
  USAGE: 2,
  /** An input (model, data, policy, config) is missing or invalid. */
  BAD_INPUT: 3,
  /** The result failed verification (e.g. the written model does not run or match). */
  VERIFICATION: 4,
} as const;
