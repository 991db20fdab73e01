import type { ProgressEvent, ProgressReporter } from '@metacompress/core';
import type { CliIo } from '../io';

interface Running {
  label: string;
  total?: number;
  unit?: string;
  done: number;
  started: number;
  metrics?: Record<string, number>;
  lastPlain: number;
}

function formatMetrics(metrics?: Record<string, number>): string {
  if (!metrics) return '';
  return Object.entries(metrics)
    .filter(([k]) => k !== 'durationMs')
    .map(([k, v]) => `${k}=${Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toPrecision(4)}`)
    .join(' ');
}

/**
 * Renders progress events: a redrawn bar on an interactive terminal, plain lines otherwise
 * (start, every 10 % of progress, end). Everything goes to stderr so that `--json` stdout stays clean.
 *
 * @example
 * const progress = createProgressRenderer(io, { verbose: false });
 * await compress(graph, steps, { policy, progress });
 */
export function createProgressRenderer(io: CliIo, options: { verbose?: boolean; quiet?: boolean } = {}): ProgressReporter & { finish(): void } {
  const running = new Map<string, Running>();
  let barShown = false;
  let lastDraw = 0;
  const clearBar = () => {
    if (barShown) {
      io.err('\r\x1b[2K');
      barShown = false;
    }
  };
  const draw = (task: Running) => {
    const now = Date.now();
    if (now - lastDraw < 80 && task.total !== task.done) return;
    lastDraw = now;
    const width = Math.max(10, Math.min(30, io.columns - 60));
    const frac = task.total ? Math.min(1, task.done / task.total) : 0;
    const filled = Math.round(frac * width);
    const bar = task.total ? `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%` : `${task.done}`;
    const text = `${task.label} ${bar} ${formatMetrics(task.metrics)}`.slice(0, io.columns - 1);
    io.err(`\r\x1b[2K${text}`);
    barShown = true;
  };
  const renderer = {
    emit(event: ProgressEvent) {
      if (options.quiet && event.type !== 'log') return;
      switch (event.type) {
        case 'start': {
          const task: Running = { label: event.label ?? event.task, done: 0, started: Date.now(), lastPlain: 0, ...(event.total !== undefined ? { total: event.total } : {}), ...(event.unit ? { unit: event.unit } : {}) };
          running.set(event.task, task);
          if (!io.interactive) io.err(`${task.label}…\n`);
          else draw(task);
          break;
        }
        case 'advance': {
          const task = running.get(event.task);
          if (!task) return;
          task.done = event.done;
          if (event.total !== undefined) task.total = event.total;
          if (event.metrics) task.metrics = event.metrics;
          if (io.interactive) draw(task);
          else if (task.total) {
            const decile = Math.floor((10 * task.done) / task.total);
            if (decile > task.lastPlain && decile < 10) {
              task.lastPlain = decile;
              io.err(`  ${task.label}: ${task.done}/${task.total}${task.unit ? ` ${task.unit}` : ''} ${formatMetrics(task.metrics)}\n`);
            }
          }
          break;
        }
        case 'end': {
          const task = running.get(event.task);
          running.delete(event.task);
          if (!task) return;
          clearBar();
          const seconds = ((Date.now() - task.started) / 1000).toFixed(1);
          const tick = io.color ? '\x1b[32m✓\x1b[39m' : '✓';
          io.err(`${tick} ${task.label} (${seconds}s)${event.metrics ? ` ${formatMetrics(event.metrics)}` : ''}\n`);
          break;
        }
        case 'log': {
          if (event.level === 'debug' && !options.verbose) return;
          clearBar();
          const prefix = event.level === 'warn' ? (io.color ? '\x1b[33mwarning:\x1b[39m ' : 'warning: ') : '';
          io.err(`${prefix}${event.source ? `[${event.source}] ` : ''}${event.message}\n`);
          break;
        }
      }
    },
    finish() {
      clearBar();
    },
  };
  return renderer;
}
