import { createRng, type Budget, type Policy } from '@metacompress/core';
import { keepCount, solveBudget, type Graph } from '@metacompress/ir';
import { resolveCriterion } from '../criteria/index';
import type { Criterion, CriterionContext } from '../criterion';
import { selectGroups } from '../select-groups';
import { estimatorFor, solutionToPolicy, type PolicyOptions } from './policy-options';

/** Options of {@link globalMagnitudePolicy}. */
export interface GlobalMagnitudeOptions extends PolicyOptions {
  /** Criterion ranking the channels (default `l1`). */
  criterion?: Criterion | string;
  /** Context for data-driven criteria. */
  context?: CriterionContext;
}

/**
 * The global-ranking baseline: every channel of every selected group is scored (group scores are
 * slice-normalized, so they have mean 1 in every group and compare across layers), and one global
 * threshold keeps the channels scoring above it — so layers whose channels matter less lose more.
 * The threshold is found by bisection against the budget and the rounded counts are refined to
 * within `tolerance`. Each group keeps at least its minimum.
 *
 * @example
 * const policy = await globalMagnitudePolicy(graph, { metric: 'params', ratio: 0.5 }, { roundTo: 4 });
 */
export async function globalMagnitudePolicy(
  graph: Graph,
  budget: Budget,
  options: GlobalMagnitudeOptions = {},
): Promise<Policy> {
  const estimator = estimatorFor(graph, options);
  const criterion = resolveCriterion(options.criterion ?? 'l1');
  const groups = selectGroups(graph, estimator.groups, options.selector).selected;
  const scores = await criterion.score(graph, groups, options.context ?? { rng: createRng(0) });
  let maxScore = 0;
  for (const g of groups) for (const s of scores.get(g.id)!) maxScore = Math.max(maxScore, s);
  const rounding = (minChannels: number) => ({
    roundTo: options.roundTo ?? 1,
    minChannels: Math.max(options.minChannels ?? 1, minChannels),
  });
  const family = (t: number): Map<string, number> => {
    const threshold = (1 - t) * maxScore;
    return new Map(
      groups.map((g) => {
        let above = 0;
        for (const s of scores.get(g.id)!) if (s >= threshold) above++;
        return [g.id, keepCount(g.channels, Math.max(above, 1) / g.channels, rounding(g.minChannels))];
      }),
    );
  };
  const solution = solveBudget(estimator, budget, family, { ...options, groups: groups.map((g) => g.id) });
  return solutionToPolicy(estimator, budget, solution, 'global-magnitude', options, {
    criterion: criterion.name,
    threshold: (1 - solution.parameter) * maxScore,
  });
}
