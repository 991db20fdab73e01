/**
 * Where a command writes, and how: tests pass buffers, the binary passes the process streams.
 *
 * @example
 * const io = processIo(); io.out('done\n');
 */
export interface CliIo {
  /** Writes to stdout (results, JSON). */
  out(text: string): void;
  /** Writes to stderr (progress, warnings, errors). */
  err(text: string): void;
  /** stderr is an interactive terminal (progress bars instead of lines). */
  readonly interactive: boolean;
  /** Colors allowed (a TTY and `NO_COLOR` unset). */
  readonly color: boolean;
  /** Terminal width for bars and tables. */
  readonly columns: number;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The real process streams. */
export function processIo(): CliIo {
  const env = process.env;
  const interactive = Boolean(process.stderr.isTTY);
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    interactive,
    color: interactive && !('NO_COLOR' in env) && env.TERM !== 'dumb',
    columns: process.stderr.columns || 80,
    cwd: process.cwd(),
    env,
  };
}

/**
 * An in-memory IO for tests: everything written is collected.
 *
 * @example
 * const io = memoryIo(); await main(['--help'], io); io.stdout; // help text
 */
export function memoryIo(options: { interactive?: boolean; color?: boolean; env?: Record<string, string>; cwd?: string } = {}): CliIo & {
  stdout: string;
  stderr: string;
} {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    interactive: options.interactive ?? false,
    color: options.color ?? false,
    columns: 100,
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
  };
  return io;
}
