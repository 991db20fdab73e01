import { ErrorCodes, MetacompressError } from '@metacompress/core';
import {
  freeGroups,
  keepCount,
  refineKeeps,
  solveBudget,
  type CostBudget,
  type CostEstimate,
  type CostEstimator,
  type CostMetric,
  type KeepRounding,
} from '@metacompress/ir';

/**
 * Options of {@link projectBudget}.
 *
 * @example
 * const options: ProjectBudgetOptions = { roundTo: 8, tolerance: 0.01 };
 */
export interface ProjectBudgetOptions extends KeepRounding {
  /** Allowed relative error on the target (default 0.01: within 1 % of ratio × base). */
  tolerance?: number;
  /**
   * When the best shift misses the tolerance (coarse channel counts), move counts one rounding
   * step at a time toward the target with ir's `refineKeeps` (default true). Refined counts no
   * longer come from a single shift; `refined` says so.
   */
  refine?: boolean;
}

/**
 * What the budget projection chose.
 *
 * @example
 * const { shift, counts, achieved, withinTolerance } = projectBudget(estimator, ids, logits, budget);
 */
export interface BudgetProjection {
  /** Group ids, in logit order. */
  readonly groups: readonly string[];
  /** The shift s: group g keeps σ(logit_g + s) of its channels, rounded. */
  readonly shift: number;
  /** σ(logit_g + s), unrounded, in group order. */
  readonly softKeep: Float64Array;
  /** Kept channels per group. */
  readonly counts: Map<string, number>;
  /** Kept share per group: `counts / channels`, exactly (stable under ir's `keepCount`). */
  readonly keep: Map<string, number>;
  readonly metric: CostMetric;
  /** Cost of the graph with these counts (ir's cost-of-keeps estimator). */
  readonly cost: CostEstimate;
  /** The metric after / before. */
  readonly achieved: number;
  /** The requested ratio. */
  readonly target: number;
  /** `|achieved − target| ≤ tolerance × target`. */
  readonly withinTolerance: boolean;
  /** Whether the counts were refined beyond what the shift alone gives. */
  readonly refined: boolean;
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Shifts at which every group sits at its minimum (σ < 1e-17) or keeps everything (σ rounds to 1). */
const MARGIN = 40;

/**
 * The budget projection of DESIGN §5: finds, by bisection, the scalar shift s such that keeping
 * σ(logit_g + s) of each group's channels — rounded to channel counts with ir's `keepCount`
 * (respecting each group's `minChannels`, the caller's `minChannels` and `roundTo`) — meets the
 * budget within `tolerance`, priced by ir's exact cost-of-keeps estimator. Cost never decreases
 * with s, so bisection brackets it; when channel granularity cannot land within the tolerance,
 * the closest point is refined step by step (`refine`), and a budget is a ceiling: the result then
 * stays under the target with `withinTolerance: false` and reports the ratio it achieved.
 *
 * Throws `MC_BUDGET_INVALID` for a latency budget (measured, not priced) or a bad ratio,
 * `MC_BUDGET_UNREACHABLE` when even every group at its minimum costs too much,
 * `MC_UNKNOWN_GROUP`/`MC_GROUP_UNPRUNABLE` for bad ids, `MC_INVALID_ARGUMENT` for logits that are
 * not one finite number per group.
 *
 * @example
 * const p = projectBudget(estimator, ids, [0.3, -1.2, 2], { metric: 'macs', ratio: 0.5 });
 * p.achieved; // within 1 % of 0.5; p.keep.get(ids[0]) is that group's kept share
 */
export function projectBudget(
  estimator: CostEstimator,
  groupIds: readonly string[],
  keepLogits: ArrayLike<number>,
  budget: CostBudget,
  options: ProjectBudgetOptions = {},
): BudgetProjection {
  const groups = freeGroups(estimator.groups, groupIds);
  if (keepLogits.length !== groups.length) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `${keepLogits.length} keep logits for ${groups.length} groups`,
      { field: 'keepLogits' },
    );
  }
  const logits = Float64Array.from(keepLogits);
  logits.forEach((l, i) => {
    if (!Number.isFinite(l))
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `keep logit ${l} is not finite`, {
        field: 'keepLogits',
        group: groups[i].id,
      });
  });
  const tolerance = options.tolerance ?? 0.01;
  const roundings = groups.map((g) => ({
    roundTo: options.roundTo ?? 1,
    minChannels: Math.max(options.minChannels ?? 1, g.minChannels),
  }));
  const lo = groups.length ? -Math.max(...logits) - MARGIN : 0;
  const hi = groups.length ? -Math.min(...logits) + MARGIN : 0;
  const shiftOf = (t: number): number => lo + t * (hi - lo);
  const countsAt = (s: number): Map<string, number> =>
    new Map(
      groups.map((g, i) => [
        g.id,
        keepCount(g.channels, Math.min(1, Math.max(1e-12, sigmoid(logits[i] + s))), roundings[i]),
      ]),
    );

  const ids = groups.map((g) => g.id);
  const solution = solveBudget(estimator, budget, (t) => countsAt(shiftOf(t)), {
    ...options,
    tolerance,
    groups: ids,
    refine: false,
  });
  const metric = budget.metric as CostMetric;
  let counts = solution.keeps;
  let cost = solution.cost;
  let withinTolerance = solution.withinTolerance;
  let refined = false;
  if (!withinTolerance && (options.refine ?? true) && groups.length) {
    const better = refineKeeps(estimator, counts, budget, { ...options, tolerance, groups: ids });
    const betterCost = estimator.estimate(better);
    const target = budget.ratio * estimator.base[metric];
    if (Math.abs(betterCost[metric] - target) <= tolerance * target) {
      counts = better;
      cost = betterCost;
      withinTolerance = true;
      refined = [...better].some(([id, n]) => solution.keeps.get(id) !== n);
    }
  }
  const shift = shiftOf(solution.parameter);
  const base = estimator.base[metric];
  return {
    groups: ids,
    shift,
    softKeep: logits.map((l) => sigmoid(l + shift)),
    counts,
    keep: new Map(groups.map((g) => [g.id, counts.get(g.id)! / g.channels])),
    metric,
    cost,
    achieved: base === 0 ? 1 : cost[metric] / base,
    target: budget.ratio,
    withinTolerance,
    refined,
  };
}
