import type { Budget, Policy } from '@metacompress/core';
import { solveUniformRatio, type Graph } from '@metacompress/ir';
import { selectGroups } from '../select-groups';
import { estimatorFor, solutionToPolicy, type PolicyOptions } from './policy-options';

/**
 * The uniform baseline: every selected group keeps the same share of its channels, that share
 * found by bisection so the pruned graph meets the budget (params, MACs, FLOPs or bytes, priced by
 * the exact cost-of-keeps estimator), then rounded counts nudged one `roundTo` step at a time until
 * the cost is within `tolerance` (1 %) of the target. `meta.parameter` is the uniform ratio.
 *
 * @example
 * const policy = uniformPolicy(graph, { metric: 'macs', ratio: 0.25 }, { roundTo: 8 });
 * await compress(graph, [channelPrune.with({ roundTo: 8 })], { policy });
 */
export function uniformPolicy(graph: Graph, budget: Budget, options: PolicyOptions = {}): Policy {
  const estimator = estimatorFor(graph, options);
  const groups = selectGroups(graph, estimator.groups, options.selector).selected.map((g) => g.id);
  const solution = solveUniformRatio(estimator, budget, { ...options, groups });
  return solutionToPolicy(estimator, budget, solution, 'uniform', options);
}
