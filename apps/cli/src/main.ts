import { parseArgs } from 'node:util';
import { isMetacompressError } from '@metacompress/core';
import { ExitCode, UsageError, type Command, type CommandOption, type GlobalFlags } from './command';
import { commands } from './commands';
import type { CliIo } from './io';
import { version } from './version';

const GLOBAL_OPTIONS: Record<string, CommandOption> = {
  json: { type: 'boolean', description: 'print machine-readable JSON on stdout' },
  verbose: { type: 'boolean', short: 'v', description: 'more detail, and stack traces on errors' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

/** Error codes caused by the user's input rather than by the tool. */
const INPUT_CODES = new Set([
  'MC_INVALID_ARGUMENT', 'MC_POLICY_PARSE', 'MC_POLICY_INVALID', 'MC_BUDGET_INVALID', 'MC_UNKNOWN_GROUP',
  'MC_GROUP_UNPRUNABLE', 'MC_ONNX_TRUNCATED', 'MC_ONNX_DECODE', 'MC_MODEL_INVALID', 'MC_TENSOR_TOO_LARGE',
  'MC_EXTERNAL_DATA_PATH', 'MC_EXTERNAL_DATA_MISSING', 'MC_SHAPE_MISMATCH', 'MC_UNSUPPORTED_OP',
  'MC_UNSUPPORTED_DTYPE', 'MC_NAN_WEIGHTS', 'MC_FILE_NOT_FOUND', 'MC_NOT_A_FILE', 'MC_OUTPUT_IS_INPUT',
  'MC_DATA_FORMAT', 'MC_LABEL_OUT_OF_RANGE', 'MC_EMPTY_DATASET', 'MC_UNSUPPORTED_BITS', 'MC_PLUGIN_INVALID',
  'MC_CHECKPOINT_INVALID',
]);

function optionHelp(name: string, o: CommandOption): string {
  const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.valueName ?? 'value'}>` : ''}`;
  return `  ${flag.padEnd(34)} ${o.description}`;
}

/** Help for the whole binary. */
export function mainHelp(): string {
  const lines = [
    `metacompress ${version} — compress neural networks (ONNX, TF.js) for the web and the edge`,
    '',
    'Usage: metacompress <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
    '',
    'Global options:',
    ...Object.entries(GLOBAL_OPTIONS).map(([n, o]) => optionHelp(n, o)),
    '      --version                      print the version',
    '',
    "Run 'metacompress <command> --help' for a command's options.",
    'Exit codes: 0 ok, 1 failure, 2 usage error, 3 bad input, 4 verification failed.',
    '',
  ];
  return lines.join('\n');
}

/** Help for one command. */
export function commandHelp(command: Command): string {
  const lines = [
    `Usage: metacompress ${command.usage}`,
    '',
    command.summary,
    '',
    'Options:',
    ...Object.entries(command.options).map(([n, o]) => optionHelp(n, o)),
    ...Object.entries(GLOBAL_OPTIONS).map(([n, o]) => optionHelp(n, o)),
    '',
  ];
  if (command.details) lines.push(command.details.trim(), '');
  return lines.join('\n');
}

/**
 * Runs the command line and returns the exit code. Errors become one line on stderr
 * (with the stack only under `--verbose`).
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), processIo());
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name ? ExitCode.OK : ExitCode.USAGE;
  }
  if (name === '--version') {
    io.out(`${version}\n`);
    return ExitCode.OK;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`metacompress: unknown command '${name}'. Run 'metacompress --help' for the list.\n`);
    return ExitCode.USAGE;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: Object.fromEntries(
          Object.entries({ ...GLOBAL_OPTIONS, ...command.options }).map(([n, o]) => [n, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
        ),
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
    }
    if (parsed.values.help) {
      io.out(commandHelp(command));
      return ExitCode.OK;
    }
    const globals: GlobalFlags = { json: Boolean(parsed.values.json), verbose: Boolean(parsed.values.verbose) };
    return await command.run({ positionals: parsed.positionals, values: parsed.values as never }, io, globals);
  } catch (error) {
    return reportError(error, io, verbose, command.name);
  }
}

function reportError(error: unknown, io: CliIo, verbose: boolean, commandName: string): number {
  if (error instanceof UsageError) {
    io.err(`metacompress ${commandName}: ${error.message}\nRun 'metacompress ${commandName} --help' for usage.\n`);
    return ExitCode.USAGE;
  }
  const message = error instanceof Error ? error.message : String(error);
  const label = io.color ? '\x1b[31merror:\x1b[39m' : 'error:';
  io.err(`metacompress ${commandName}: ${label} ${message.split('\n')[0]}\n`);
  if (verbose && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
  if (isMetacompressError(error)) return INPUT_CODES.has(error.code) ? ExitCode.BAD_INPUT : ExitCode.FAILURE;
  return ExitCode.FAILURE;
}
