import { ErrorCodes, MetacompressError } from './errors';

/** What a budget constrains. `latency` is measured, the others are counted by the IR cost model. */
export const BUDGET_METRICS = ['params', 'macs', 'bytes', 'latency'] as const;
export type BudgetMetric = (typeof BUDGET_METRICS)[number];

/**
 * A compression target: keep `ratio` (0 < ratio ≤ 1) of the original `metric`.
 *
 * @example
 * const budget: Budget = { metric: 'macs', ratio: 0.25 }; // keep 25 % of the MACs
 */
export interface Budget {
  metric: BudgetMetric;
  ratio: number;
}

/**
 * Validates a budget object, naming the bad field.
 *
 * @example
 * validateBudget({ metric: 'params', ratio: 0.5 }); // ok
 * validateBudget({ metric: 'flops', ratio: 0.5 });  // throws MC_BUDGET_INVALID (field 'budget.metric')
 */
export function validateBudget(value: unknown, path = 'budget'): Budget {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MetacompressError(ErrorCodes.BUDGET_INVALID, `expected an object, got ${describe(value)}`, { field: path });
  }
  const { metric, ratio } = value as Record<string, unknown>;
  if (typeof metric !== 'string' || !(BUDGET_METRICS as readonly string[]).includes(metric)) {
    throw new MetacompressError(
      ErrorCodes.BUDGET_INVALID,
      `unknown metric ${describe(metric)}; expected one of ${BUDGET_METRICS.join(', ')}`,
      { field: `${path}.metric` },
    );
  }
  checkRatio(ratio, `${path}.ratio`, ErrorCodes.BUDGET_INVALID);
  return { metric: metric as BudgetMetric, ratio: ratio as number };
}

/**
 * Parses the command-line form `metric=ratio`, e.g. `macs=0.25` or `params=50%`.
 *
 * @example
 * parseBudget('macs=0.25'); // { metric: 'macs', ratio: 0.25 }
 */
export function parseBudget(text: string): Budget {
  const match = /^\s*([a-zA-Z]+)\s*=\s*([^%\s]+)\s*(%?)\s*$/.exec(text);
  if (!match) {
    throw new MetacompressError(ErrorCodes.BUDGET_INVALID, `expected <metric>=<ratio>, got '${text}'`, {
      field: 'target',
    });
  }
  const ratio = Number(match[2]) / (match[3] ? 100 : 1);
  return validateBudget({ metric: match[1].toLowerCase(), ratio }, 'target');
}

/** Throws unless `ratio` is a finite number in (0, 1]. */
export function checkRatio(ratio: unknown, field: string, code: string = ErrorCodes.INVALID_ARGUMENT): asserts ratio is number {
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 0 || ratio > 1) {
    throw new MetacompressError(code, `ratio must be a number in (0, 1], got ${describe(ratio)}`, { field });
  }
}

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  return typeof value;
}
