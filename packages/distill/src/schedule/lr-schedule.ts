import { ErrorCodes, MetacompressError, describe } from '@metacompress/core';

/**
 * A learning-rate schedule as plain, JSON-serializable data (so it can live in a config file and in
 * a checkpoint). Every kind may start with a linear warm-up of `warmupSteps` steps from `lr / warmupSteps`
 * up to `lr`; the decay then runs over the remaining steps.
 *
 * - `constant`: `lr` throughout.
 * - `cosine`: cosine annealing from `lr` to `minLr` (default 0) at the last step (Loshchilov & Hutter 2017, SGDR, without restarts).
 * - `step`: `lr · gamma^⌊s / stepSize⌋`, `s` counted from the end of the warm-up (default `gamma` 0.1).
 *
 * @example
 * const s: LrSchedule = { kind: 'cosine', lr: 1e-3, warmupSteps: 50, minLr: 1e-5 };
 */
export type LrSchedule =
  | { kind: 'constant'; lr: number; warmupSteps?: number }
  | { kind: 'cosine'; lr: number; minLr?: number; warmupSteps?: number }
  | { kind: 'step'; lr: number; stepSize: number; gamma?: number; warmupSteps?: number };

/**
 * The kinds of {@link LrSchedule}.
 *
 * @example
 * LR_SCHEDULE_KINDS.includes('cosine'); // true
 */
export const LR_SCHEDULE_KINDS = ['constant', 'cosine', 'step'] as const;

/**
 * The learning rate of step `step` (0-based) of a run of `totalSteps` steps.
 *
 * @example
 * learningRateAt({ kind: 'cosine', lr: 1 }, 0, 100);  // 1
 * learningRateAt({ kind: 'cosine', lr: 1 }, 50, 101); // 0.5
 * learningRateAt({ kind: 'constant', lr: 1, warmupSteps: 4 }, 1, 100); // 0.5
 */
export function learningRateAt(schedule: LrSchedule, step: number, totalSteps: number): number {
  const warmup = schedule.warmupSteps ?? 0;
  if (step < warmup) return (schedule.lr * (step + 1)) / warmup;
  const s = step - warmup;
  switch (schedule.kind) {
    case 'constant':
      return schedule.lr;
    case 'cosine': {
      const span = Math.max(1, totalSteps - warmup - 1);
      const minLr = schedule.minLr ?? 0;
      const progress = Math.min(1, s / span);
      return minLr + (schedule.lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
    case 'step':
      return schedule.lr * Math.pow(schedule.gamma ?? 0.1, Math.floor(s / schedule.stepSize));
  }
}

function bad(field: string, expected: string, value: unknown): never {
  throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `expected ${expected}, got ${describe(value)}`, {
    field: `schedule.${field}`,
  });
}

function positive(
  raw: Record<string, unknown>,
  key: string,
  optional: boolean,
  allowZero = false,
): number | undefined {
  const v = raw[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    bad(key, allowZero ? 'a finite number ≥ 0' : 'a finite number > 0', v);
  }
  return v;
}

/**
 * Validates an untrusted schedule (from JSON or options) and returns a clean copy; errors name the field.
 *
 * @example
 * parseLrSchedule({ kind: 'step', lr: 0.01, stepSize: 100, gamma: 0.5 });
 * parseLrSchedule({ kind: 'linear', lr: 1 }); // throws MC_INVALID_ARGUMENT (field 'schedule.kind')
 */
export function parseLrSchedule(raw: unknown): LrSchedule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('', 'an object', raw);
  const r = raw as Record<string, unknown>;
  const known: Record<string, readonly string[]> = {
    constant: ['kind', 'lr', 'warmupSteps'],
    cosine: ['kind', 'lr', 'minLr', 'warmupSteps'],
    step: ['kind', 'lr', 'stepSize', 'gamma', 'warmupSteps'],
  };
  if (typeof r.kind !== 'string' || !(r.kind in known))
    bad('kind', `one of ${LR_SCHEDULE_KINDS.join(', ')}`, r.kind);
  const kind = r.kind as LrSchedule['kind'];
  for (const key of Object.keys(r)) {
    if (!known[kind]!.includes(key)) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `unknown field '${key}' on a ${kind} schedule; known fields: ${known[kind]!.join(', ')}`,
        { field: `schedule.${key}` },
      );
    }
  }
  const lr = positive(r, 'lr', false)!;
  const warmupSteps = positive(r, 'warmupSteps', true, true);
  if (warmupSteps !== undefined && !Number.isInteger(warmupSteps))
    bad('warmupSteps', 'an integer', warmupSteps);
  const warm = warmupSteps ? { warmupSteps } : {};
  if (kind === 'constant') return { kind, lr, ...warm };
  if (kind === 'cosine') {
    const minLr = positive(r, 'minLr', true, true);
    if (minLr !== undefined && minLr > lr) bad('minLr', `a number ≤ lr (${lr})`, minLr);
    return { kind, lr, ...(minLr !== undefined ? { minLr } : {}), ...warm };
  }
  const stepSize = positive(r, 'stepSize', false)!;
  if (!Number.isInteger(stepSize)) bad('stepSize', 'an integer', stepSize);
  const gamma = positive(r, 'gamma', true);
  return { kind, lr, stepSize, ...(gamma !== undefined ? { gamma } : {}), ...warm };
}
