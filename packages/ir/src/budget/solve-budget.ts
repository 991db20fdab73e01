import { ErrorCodes, MetacompressError, checkRatio } from '@metacompress/core';
import type { CouplingGroup } from '../coupling/types';
import { bisectMonotone } from './bisect';
import type { CostEstimate, CostEstimator, CostMetric } from './cost-estimator';
import { keepCandidates, keepCount, type KeepRounding } from './keep-count';

/** A budget the cost model can price: keep `ratio` of the graph's `metric`. */
export interface CostBudget {
  metric: CostMetric | 'latency';
  ratio: number;
}

/**
 * Options of {@link solveBudget} and {@link solveUniformRatio}.
 *
 * @example
 * const options: SolveBudgetOptions = { roundTo: 8, tolerance: 0.01, groups: ['conv1', 'conv2'] };
 */
export interface SolveBudgetOptions extends KeepRounding {
  /** Groups that may shrink (default: every prunable group); others keep all their channels. */
  groups?: readonly string[];
  /** Allowed relative error on the target (default 0.01: the cost lands within 1 % of ratio × base). */
  tolerance?: number;
  /** Refine the family's best point one rounding step at a time until within tolerance (default true). */
  refine?: boolean;
  /** States kept per depth by the refinement's beam search (default 16). */
  beamWidth?: number;
  /** Smallest share of its channels any free group may keep while refining (default 0). */
  minKeep?: number;
}

/** What a solver found. */
export interface BudgetSolution {
  /** Kept channels per free group. */
  keeps: Map<string, number>;
  cost: CostEstimate;
  /** The metric of `cost` divided by that of the unpruned graph. */
  achieved: number;
  /** The requested ratio. */
  target: number;
  /** `|achieved − target| ≤ tolerance × target`. */
  withinTolerance: boolean;
  /** The family parameter the solution started from (e.g. the uniform keep ratio). */
  parameter: number;
}

/**
 * A one-parameter family of keep counts: `t = 1` keeps the most, `t = 0` the least, and the cost
 * never decreases with `t`.
 */
export type KeepFamily = (t: number) => Map<string, number>;

function metricOf(budget: CostBudget): CostMetric {
  if (budget.metric === 'latency') {
    throw new MetacompressError(
      ErrorCodes.BUDGET_INVALID,
      'a latency budget must be measured; the cost model prices params, macs, flops or bytes',
      {
        field: 'budget.metric',
      },
    );
  }
  if (!['params', 'macs', 'flops', 'bytes'].includes(budget.metric)) {
    throw new MetacompressError(ErrorCodes.BUDGET_INVALID, `unknown metric '${String(budget.metric)}'`, {
      field: 'budget.metric',
    });
  }
  checkRatio(budget.ratio, 'budget.ratio', ErrorCodes.BUDGET_INVALID);
  return budget.metric;
}

/**
 * The groups a solver may shrink, checked: unknown ids give `MC_UNKNOWN_GROUP`, unprunable ones
 * `MC_GROUP_UNPRUNABLE`.
 *
 * @example
 * freeGroups(estimator.groups, ['conv1']).map((g) => g.id); // ['conv1']
 */
export function freeGroups(groups: readonly CouplingGroup[], ids?: readonly string[]): CouplingGroup[] {
  if (!ids) return groups.filter((g) => g.prunable);
  const byId = new Map(groups.map((g) => [g.id, g]));
  return ids.map((id) => {
    const g = byId.get(id);
    if (!g)
      throw new MetacompressError(ErrorCodes.UNKNOWN_GROUP, `no coupling group '${id}' in this graph`, {
        group: id,
      });
    if (!g.prunable)
      throw new MetacompressError(
        ErrorCodes.GROUP_UNPRUNABLE,
        `group cannot be pruned: ${g.reason ?? 'unknown reason'}`,
        { group: id },
      );
    return g;
  });
}

/** Rounding for one group: the caller's minimum raised to the group's own. */
function roundingOf(group: CouplingGroup, options: SolveBudgetOptions): KeepRounding {
  return {
    roundTo: options.roundTo ?? 1,
    minChannels: Math.min(
      group.channels,
      Math.max(
        options.minChannels ?? 1,
        group.minChannels,
        Math.ceil((options.minKeep ?? 0) * group.channels),
      ),
    ),
  };
}

/**
 * Moves kept counts one rounding step at a time (up or down) toward the target: greedily, taking
 * the step that lands closest while that helps, then — when coarse rounding needs several
 * coordinated steps — a beam search whose first depth within tolerance wins (so the counts stay
 * close to where they started). Returns new counts (the closest found when the tolerance cannot be
 * met); the input is not changed.
 *
 * @example
 * const refined = refineKeeps(estimator, keeps, { metric: 'macs', ratio: 0.25 }, { roundTo: 8 });
 */
export function refineKeeps(
  estimator: CostEstimator,
  keeps: ReadonlyMap<string, number>,
  budget: CostBudget,
  options: SolveBudgetOptions = {},
): Map<string, number> {
  const metric = metricOf(budget);
  const tolerance = options.tolerance ?? 0.01;
  const target = budget.ratio * estimator.base[metric];
  const groups = freeGroups(estimator.groups, options.groups ?? [...keeps.keys()]);
  const candidates = groups.map((g) => keepCandidates(g.channels, roundingOf(g, options)));
  const current = new Map(keeps);
  const position = groups.map((g, i) => {
    const k = current.get(g.id) ?? g.channels;
    const at = candidates[i].indexOf(k);
    return at >= 0 ? at : candidates[i].findIndex((c) => c >= k);
  });
  groups.forEach((g, i) => current.set(g.id, candidates[i][position[i]]));
  const error = (m: Map<string, number>): number => Math.abs(estimator.estimate(m)[metric] - target);
  let best = error(current);
  const good = (): boolean => best <= tolerance * target * 0.5;
  const tryMoves = (moves: [number, number][][]): boolean => {
    let bestMove: [number, number][] | undefined;
    let bestError = best;
    for (const move of moves) {
      const trial = new Map(current);
      for (const [i, step] of move) trial.set(groups[i].id, candidates[i][position[i] + step]);
      const e = error(trial);
      if (e < bestError - 1e-9) {
        bestError = e;
        bestMove = move;
      }
    }
    if (!bestMove) return false;
    for (const [i, step] of bestMove) {
      position[i] += step;
      current.set(groups[i].id, candidates[i][position[i]]);
    }
    best = bestError;
    return true;
  };
  const canStep = (i: number, step: number): boolean =>
    position[i] + step >= 0 && position[i] + step < candidates[i].length;
  // 1. Greedy single steps: cheap, and usually enough when channel counts are fine-grained.
  for (let iteration = 0; iteration < 500 && !good(); iteration++) {
    const singles: [number, number][][] = [];
    for (let i = 0; i < groups.length; i++)
      for (const s of [-1, 1]) if (canStep(i, s)) singles.push([[i, s]]);
    if (!tryMoves(singles)) break;
  }
  if (best <= tolerance * target) return current;
  // 2. Beam search over single steps (coarse rounding can need several coordinated moves): the
  // first depth that reaches the tolerance wins, so the result stays close to the family's point.
  const width = options.beamWidth ?? 16;
  const maxDepth = Math.min(4 * groups.length, 24);
  const keyOf = (p: readonly number[]): string => p.join(',');
  const toMap = (p: readonly number[]): Map<string, number> => {
    const m = new Map(current);
    groups.forEach((g, i) => m.set(g.id, candidates[i][p[i]]));
    return m;
  };
  let beam: { p: number[]; e: number }[] = [{ p: [...position], e: best }];
  const seen = new Set([keyOf(position)]);
  let found: { p: number[]; e: number } | undefined;
  for (let depth = 0; depth < maxDepth && !found; depth++) {
    const next: { p: number[]; e: number }[] = [];
    for (const state of beam) {
      for (let i = 0; i < groups.length; i++) {
        for (const s of [-1, 1]) {
          const q = state.p[i] + s;
          if (q < 0 || q >= candidates[i].length) continue;
          const p = [...state.p];
          p[i] = q;
          const k = keyOf(p);
          if (seen.has(k)) continue;
          seen.add(k);
          next.push({ p, e: error(toMap(p)) });
        }
      }
    }
    if (next.length === 0) break;
    next.sort((a, b) => a.e - b.e);
    if (next[0].e <= tolerance * target) found = next[0];
    beam = next.slice(0, width);
  }
  if (found && found.e < best) return toMap(found.p);
  return current;
}

/**
 * Finds keep counts that meet a budget along a one-parameter family (uniform ratio, a global
 * importance threshold, a sensitivity threshold...): bisection on `t` brackets the target, the
 * closer end is taken, and {@link refineKeeps} then closes the remaining gap one rounding step at a
 * time (channel counts are discrete). A budget is a ceiling: when rounding makes the tolerance
 * unreachable, the best point under the target is returned with `withinTolerance: false`; when even
 * the family's smallest point costs more than the target allows, `MC_BUDGET_UNREACHABLE` is thrown.
 *
 * @example
 * const sol = solveBudget(estimator, { metric: 'macs', ratio: 0.5 }, (t) => myKeeps(t), { roundTo: 4 });
 * sol.achieved; // within 1 % of 0.5
 */
export function solveBudget(
  estimator: CostEstimator,
  budget: CostBudget,
  family: KeepFamily,
  options: SolveBudgetOptions = {},
): BudgetSolution {
  const metric = metricOf(budget);
  const tolerance = options.tolerance ?? 0.01;
  const base = estimator.base[metric];
  const target = budget.ratio * base;
  const cost = (t: number): number => estimator.estimate(family(t))[metric];
  const b = bisectMonotone(cost, target, 0, 1, { iterations: 40 });
  const parameter = Math.abs(b.valueBelow - target) <= Math.abs(b.valueAbove - target) ? b.below : b.above;
  let keeps = family(parameter);
  let chosen = parameter;
  if (options.refine ?? true)
    keeps = refineKeeps(estimator, keeps, budget, {
      ...options,
      groups: options.groups ?? [...keeps.keys()],
    });
  let final = estimator.estimate(keeps);
  let withinTolerance = Math.abs(final[metric] - target) <= tolerance * target;
  if (!withinTolerance && final[metric] > target) {
    // A budget is a ceiling: when the target cannot be hit within tolerance, stay under it.
    if (b.valueBelow > target * (1 + tolerance)) {
      const floor = base === 0 ? 1 : b.valueBelow / base;
      throw new MetacompressError(
        ErrorCodes.BUDGET_UNREACHABLE,
        `cannot reach ${metric} ratio ${budget.ratio}: the smallest policy (every free group at its minimum, with this rounding) keeps ${floor.toFixed(4)} of the ${metric}`,
        { field: 'budget.ratio' },
      );
    }
    chosen = b.below;
    keeps = family(b.below);
    final = estimator.estimate(keeps);
    withinTolerance = Math.abs(final[metric] - target) <= tolerance * target;
  }
  const achieved = base === 0 ? 1 : final[metric] / base;
  return { keeps, cost: final, achieved, target: budget.ratio, withinTolerance, parameter: chosen };
}

/**
 * The uniform family: every free group keeps `keepCount(channels, t)` channels.
 *
 * @example
 * uniformFamily(groups, { roundTo: 8 })(0.5); // Map { 'conv1' => 8, ... }
 */
export function uniformFamily(groups: readonly CouplingGroup[], options: KeepRounding = {}): KeepFamily {
  return (t) =>
    new Map(
      groups.map((g) => [
        g.id,
        keepCount(g.channels, Math.min(1, Math.max(t, 1e-9)), roundingOf(g, options)),
      ]),
    );
}

/**
 * Finds the uniform keep ratio that meets a budget (bisection), then refines the rounded counts to
 * land within tolerance. `parameter` of the result is the uniform ratio.
 *
 * @example
 * const sol = solveUniformRatio(createCostEstimator(graph), { metric: 'macs', ratio: 0.25 }, { roundTo: 8 });
 * sol.parameter; // ≈ 0.5 for a plain CNN (MACs scale with Cin × Cout)
 */
export function solveUniformRatio(
  estimator: CostEstimator,
  budget: CostBudget,
  options: SolveBudgetOptions = {},
): BudgetSolution {
  const groups = freeGroups(estimator.groups, options.groups);
  return solveBudget(estimator, budget, uniformFamily(groups, options), {
    ...options,
    groups: groups.map((g) => g.id),
  });
}
