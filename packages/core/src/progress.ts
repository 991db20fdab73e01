/**
 * Progress events that long steps emit and the CLI renders (bars on a TTY, plain lines otherwise).
 *
 * @example
 * reporter.emit({ type: 'start', task: 'finetune', total: 200, unit: 'steps' });
 * reporter.emit({ type: 'advance', task: 'finetune', done: 10, total: 200, metrics: { loss: 0.31 } });
 * reporter.emit({ type: 'end', task: 'finetune', metrics: { valAccuracy: 0.987 } });
 */
export type ProgressEvent =
  | { type: 'start'; task: string; total?: number; unit?: string; label?: string }
  | { type: 'advance'; task: string; done: number; total?: number; metrics?: Record<string, number> }
  | { type: 'end'; task: string; metrics?: Record<string, number> }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; message: string; source?: string };

/** Anything that accepts progress events. */
export interface ProgressReporter {
  emit(event: ProgressEvent): void;
}

/** A reporter that drops every event. */
export const silentReporter: ProgressReporter = { emit: () => {} };

/** A handle on one running task, made by {@link startTask}. */
export interface TaskProgress {
  /** Sets the number of finished units (and optional running metrics). */
  update(done: number, metrics?: Record<string, number>): void;
  /** Adds `n` finished units. */
  tick(n?: number, metrics?: Record<string, number>): void;
  /** Marks the task finished. */
  end(metrics?: Record<string, number>): void;
}

/**
 * Starts a task on a reporter and returns a small handle that emits the matching events.
 *
 * @example
 * const task = startTask(ctx.progress, 'calibrate', 32, 'batches');
 * for (const batch of batches) { observe(batch); task.tick(); }
 * task.end();
 */
export function startTask(reporter: ProgressReporter, task: string, total?: number, unit?: string, label?: string): TaskProgress {
  let done = 0;
  reporter.emit({ type: 'start', task, ...(total !== undefined ? { total } : {}), ...(unit ? { unit } : {}), ...(label ? { label } : {}) });
  return {
    update(value, metrics) {
      done = value;
      reporter.emit({ type: 'advance', task, done, ...(total !== undefined ? { total } : {}), ...(metrics ? { metrics } : {}) });
    },
    tick(n = 1, metrics) {
      this.update(done + n, metrics);
    },
    end(metrics) {
      reporter.emit({ type: 'end', task, ...(metrics ? { metrics } : {}) });
    },
  };
}

/**
 * Logs through a reporter.
 *
 * @example
 * log(ctx.progress, 'info', 'tfjs backend: wasm', 'backend-tfjs');
 */
export function log(reporter: ProgressReporter, level: 'debug' | 'info' | 'warn', message: string, source?: string): void {
  reporter.emit({ type: 'log', level, message, ...(source ? { source } : {}) });
}
