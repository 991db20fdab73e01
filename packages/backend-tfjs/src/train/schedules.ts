import { ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * How the learning rate changes over training: a serializable object, or a function of the
 * step (0-based), the total number of steps and the base rate.
 *
 * - `constant`: the base rate throughout;
 * - `cosine`: linear warm-up, then cosine decay to `minFactor`·base (Loshchilov & Hutter 2017);
 * - `step`: multiplied by `gamma` every `every` steps;
 * - `linear`: linear warm-up, then linear decay to `endFactor`·base;
 * - `one-cycle`: up from base/`divFactor` to base over `pctStart` of training, then cosine down
 *   to base/(`divFactor`·`finalDivFactor`) (Smith & Topin 2019; PyTorch's OneCycleLR).
 */
export type LearningRateSchedule =
  | { kind: 'constant' }
  | { kind: 'cosine'; warmupSteps?: number; minFactor?: number }
  | { kind: 'step'; every: number; gamma?: number }
  | { kind: 'linear'; warmupSteps?: number; endFactor?: number }
  | { kind: 'one-cycle'; pctStart?: number; divFactor?: number; finalDivFactor?: number }
  | ((step: number, totalSteps: number, baseLr: number) => number);

const cosineBetween = (from: number, to: number, t: number) =>
  to + ((from - to) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, t))))) / 2;

/**
 * The learning rate at `step` (0-based) of `total` steps.
 *
 * @example
 * learningRateAt({ kind: 'cosine' }, 0.1, 50, 100); // 0.05
 */
export function learningRateAt(
  schedule: LearningRateSchedule | undefined,
  base: number,
  step: number,
  total: number,
): number {
  if (!schedule) return base;
  if (typeof schedule === 'function') return schedule(step, total, base);
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'cosine': {
      const warm = schedule.warmupSteps ?? 0;
      if (step < warm) return (base * (step + 1)) / warm;
      return cosineBetween(base, base * (schedule.minFactor ?? 0), (step - warm) / Math.max(1, total - warm));
    }
    case 'step':
      return base * (schedule.gamma ?? 0.1) ** Math.floor(step / Math.max(1, schedule.every));
    case 'linear': {
      const warm = schedule.warmupSteps ?? 0;
      if (step < warm) return (base * (step + 1)) / warm;
      const end = schedule.endFactor ?? 0;
      const t = Math.min(1, (step - warm) / Math.max(1, total - warm));
      return base * (1 + (end - 1) * t);
    }
    case 'one-cycle': {
      const div = schedule.divFactor ?? 25;
      const finalDiv = schedule.finalDivFactor ?? 1e4;
      const up = Math.max(1, Math.floor((schedule.pctStart ?? 0.3) * total) - 1);
      if (step <= up) return cosineBetween(base / div, base, step / up);
      return cosineBetween(base, base / (div * finalDiv), (step - up) / Math.max(1, total - 1 - up));
    }
    default:
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `unknown learning-rate schedule ${JSON.stringify(schedule)}`,
        { field: 'schedule' },
      );
  }
}
