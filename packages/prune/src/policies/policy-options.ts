import type { Budget, Policy } from '@metacompress/core';
import {
  createCostEstimator,
  type BudgetSolution,
  type CostEstimator,
  type Graph,
  type KeepRounding,
  type Selector,
} from '@metacompress/ir';

/**
 * Options every baseline policy generator takes. Use the same `roundTo`/`minChannels` in the
 * `channel-prune` operator that applies the policy, so the channel counts land where the budget was priced.
 *
 * @example
 * const options: PolicyOptions = { roundTo: 8, selector: { exclude: { names: ['/stem/*'] } } };
 */
export interface PolicyOptions extends KeepRounding {
  /** Which groups may shrink (by their producing layers); default: every prunable group. */
  selector?: Selector;
  /** Allowed relative error on the budget (default 0.01). */
  tolerance?: number;
  /** A cost estimator of this graph, to reuse across calls (default: built here). */
  estimator?: CostEstimator;
}

/** The estimator to use: the caller's, or a fresh one. */
export function estimatorFor(graph: Graph, options: PolicyOptions): CostEstimator {
  return options.estimator ?? createCostEstimator(graph);
}

/**
 * Turns a budget solution into a JSON policy: one entry per free group with `keep = kept / channels`
 * (exact, so `keepCount` maps it back to the same count), plus how close it came in `meta`.
 *
 * @example
 * const policy = solutionToPolicy(estimator, budget, solution, 'uniform', { roundTo: 8 });
 */
export function solutionToPolicy(
  estimator: CostEstimator,
  budget: Budget,
  solution: BudgetSolution,
  source: string,
  options: PolicyOptions,
  extra: Record<string, unknown> = {},
): Policy {
  const channels = new Map(estimator.groups.map((g) => [g.id, g.channels]));
  return {
    budget: { ...budget },
    groups: [...solution.keeps].map(([group, kept]) => ({ group, keep: kept / channels.get(group)! })),
    source,
    meta: {
      achieved: solution.achieved,
      withinTolerance: solution.withinTolerance,
      parameter: solution.parameter,
      roundTo: options.roundTo ?? 1,
      minChannels: options.minChannels ?? 1,
      ...extra,
    },
  };
}
