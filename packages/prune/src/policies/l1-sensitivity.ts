import {
  ErrorCodes,
  MetacompressError,
  createRng,
  type BackendRegistry,
  type Budget,
  type Dataset,
  type InferenceBackend,
  type Policy,
} from '@metacompress/core';
import { keepCount, removeChannels, solveBudget, type Graph } from '@metacompress/ir';
import { keepTopChannels } from '../channel-prune';
import { resolveCriterion } from '../criteria/index';
import type { Criterion } from '../criterion';
import { selectGroups } from '../select-groups';
import { estimatorFor, solutionToPolicy, type PolicyOptions } from './policy-options';

/** Options of {@link l1SensitivityPolicy}. */
export interface SensitivityOptions extends PolicyOptions {
  /** Data to measure the loss on (a few batches of it). */
  data: Dataset;
  /** The inference backend that runs the graphs; or give `backends` to resolve one of kind `inference`. */
  backend?: InferenceBackend<Graph>;
  backends?: BackendRegistry;
  /** Batches of data per measurement (default 4). */
  batches?: number;
  /** Samples per batch (default 64). */
  batchSize?: number;
  /** Keep ratios at which each group is measured alone (default [0.25, 0.5, 0.75]). */
  ratios?: readonly number[];
  /** Criterion choosing which channels a group loses (default `l1`, as Li et al.). */
  criterion?: Criterion | string;
  /**
   * Smallest keep ratio the policy gives a group while the budget allows it (default: the lowest
   * measured ratio). One-shot sensitivities below the measured range are extrapolations; letting a
   * group fall far below them (a 64-channel stage kept at 4) is what a short fine-tune cannot
   * repair. When the budget cannot be met above the floor, the floor is dropped.
   */
  floor?: number;
  /** Called after each measurement with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** A group's measured loss increase at each keep ratio, made non-increasing in the ratio. */
export interface SensitivityCurve {
  group: string;
  /** Ascending keep ratios, ending with 1. */
  ratios: number[];
  /** Loss increase over the unpruned graph at each ratio (0 at ratio 1). */
  increase: number[];
}

/** Smallest ratio whose (piecewise-linear, extrapolated below the first point) loss increase is ≤ tau. */
function ratioAt(curve: SensitivityCurve, tau: number): number {
  const { ratios: r, increase: d } = curve;
  if (d[0] <= tau) {
    // extrapolate below the lowest measured ratio along the first segment
    const slope = r.length > 1 && r[1] > r[0] ? (d[0] - d[1]) / (r[1] - r[0]) : 0;
    return slope > 0 ? Math.max(0, r[0] - (tau - d[0]) / slope) : 0;
  }
  for (let i = 1; i < r.length; i++) {
    if (d[i] <= tau) return r[i - 1] + ((d[i - 1] - tau) / (d[i - 1] - d[i])) * (r[i] - r[i - 1]);
  }
  return 1;
}

/**
 * The per-layer sensitivity heuristic (Li et al., "Pruning Filters for Efficient ConvNets", ICLR
 * 2017, §3.3): each selected group is pruned alone (its lowest-L1 channels removed) to each of a
 * few keep ratios and the loss increase is measured with the inference backend on a few batches;
 * the curves are made non-increasing in the ratio. One loss threshold τ then sets every group's
 * keep ratio (the smallest ratio whose loss increase stays under τ, interpolated), so sensitive
 * groups keep more. τ is found by bisection against the budget, and the counts refined to within
 * `tolerance`. `meta.curves` holds the measurements. Loss is the backend's mean cross-entropy, or
 * 1 − accuracy when it reports none.
 *
 * @example
 * const policy = await l1SensitivityPolicy(graph, { metric: 'macs', ratio: 0.5 }, { data: mnistTest, backend: ort, roundTo: 4 });
 */
export async function l1SensitivityPolicy(
  graph: Graph,
  budget: Budget,
  options: SensitivityOptions,
): Promise<Policy> {
  if (!options?.data || options.data.length === 0) {
    throw new MetacompressError(
      ErrorCodes.EMPTY_DATASET,
      'the sensitivity policy needs data to measure the loss on',
      { field: 'data' },
    );
  }
  const ratios = [...(options.ratios ?? [0.25, 0.5, 0.75])].sort((a, b) => a - b);
  if (ratios.some((r) => !(r > 0 && r < 1))) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `sensitivity ratios must be in (0, 1), got [${ratios.join(', ')}]`,
      { field: 'ratios' },
    );
  }
  const backend =
    options.backend ??
    (options.backends ? await options.backends.resolve<InferenceBackend<Graph>>('inference') : undefined);
  if (!backend)
    throw new MetacompressError(
      ErrorCodes.NO_BACKEND,
      'the sensitivity policy needs an inference backend (give backend or backends)',
      { field: 'backend' },
    );
  const batchSize = options.batchSize ?? 64;
  const limit = (options.batches ?? 4) * batchSize;
  const lossOf = async (g: Graph): Promise<number> => {
    const r = await backend.evaluate(g, options.data, { batchSize, limit });
    return r.loss ?? 1 - r.accuracy;
  };

  const estimator = estimatorFor(graph, options);
  const criterion = resolveCriterion(options.criterion ?? 'l1');
  const groups = selectGroups(graph, estimator.groups, options.selector).selected;
  const scores = await criterion.score(graph, groups, { rng: createRng(0) });
  const baseLoss = await lossOf(graph);
  const total = groups.length * ratios.length;
  let done = 0;
  const curves: SensitivityCurve[] = [];
  for (const g of groups) {
    const rounding = {
      roundTo: options.roundTo ?? 1,
      minChannels: Math.max(options.minChannels ?? 1, g.minChannels),
    };
    const measured: number[] = [];
    for (const r of ratios) {
      const count = keepCount(g.channels, r, rounding);
      const loss =
        count < g.channels
          ? await lossOf(removeChannels(graph, new Map([[g.id, keepTopChannels(scores.get(g.id)!, count)]])))
          : baseLoss;
      measured.push(Math.max(0, loss - baseLoss));
      options.onProgress?.(++done, total);
    }
    const increase = [...measured, 0];
    for (let i = increase.length - 2; i >= 0; i--) increase[i] = Math.max(increase[i], increase[i + 1]);
    curves.push({ group: g.id, ratios: [...ratios, 1], increase });
  }
  const maxIncrease = Math.max(1e-12, ...curves.map((c) => c.increase[0]));
  // Past the largest measured increase the curves are extrapolated, so let τ reach well beyond it.
  const tauOf = (t: number): number => (1 - t) * 4 * maxIncrease;
  const floor = options.floor ?? ratios[0];
  if (!(floor >= 0 && floor < 1)) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `floor must be in [0, 1), got ${floor}`, {
      field: 'floor',
    });
  }
  const familyAbove =
    (lowest: number) =>
    (t: number): Map<string, number> => {
      const tau = tauOf(t);
      return new Map(
        groups.map((g, i) => {
          const ratio = t >= 1 ? 1 : Math.min(1, Math.max(ratioAt(curves[i], tau), lowest, 1e-9));
          return [
            g.id,
            keepCount(g.channels, ratio, {
              roundTo: options.roundTo ?? 1,
              minChannels: Math.max(options.minChannels ?? 1, g.minChannels),
            }),
          ];
        }),
      );
    };
  const solve = (lowest: number) =>
    solveBudget(estimator, budget, familyAbove(lowest), {
      ...options,
      groups: groups.map((g) => g.id),
      minKeep: lowest,
    });
  let solution: ReturnType<typeof solve>;
  let floorUsed = floor;
  try {
    solution = solve(floor);
  } catch (error) {
    if (floor === 0 || (error as MetacompressError).code !== ErrorCodes.BUDGET_UNREACHABLE) throw error;
    solution = solve((floorUsed = 0));
  }
  // The solver refines counts one step at a time when the family alone misses the budget; if that
  // took a group below the floor, the floor did not hold: solve again without it and say so.
  const belowFloor =
    floorUsed > 0 &&
    groups.some(
      (g) =>
        solution.keeps.get(g.id)! <
        keepCount(g.channels, floorUsed, {
          roundTo: options.roundTo ?? 1,
          minChannels: Math.max(options.minChannels ?? 1, g.minChannels),
        }),
    );
  if (floorUsed > 0 && (belowFloor || !solution.withinTolerance)) {
    const without = solve(0);
    if (belowFloor || without.withinTolerance) [solution, floorUsed] = [without, 0];
  }
  return solutionToPolicy(estimator, budget, solution, 'l1-sensitivity', options, {
    criterion: criterion.name,
    baseLoss,
    tau: tauOf(solution.parameter),
    floor: floorUsed,
    curves: curves.map((c) => ({ ...c })),
  });
}
