import {
  ErrorCodes,
  MetacompressError,
  createRng,
  defineOperator,
  option,
  validatePolicy,
  type Policy,
} from '@metacompress/core';
import {
  analyzeCoupling,
  costOf,
  keepCount,
  parseSelector,
  removeChannels,
  type CouplingGroup,
  type Graph,
  type Selector,
} from '@metacompress/ir';
import { resolveCriterion } from './criteria/index';
import type { Criterion, CriterionContext } from './criterion';
import { selectGroups } from './select-groups';

/** Options of {@link pruneChannels} (and of the {@link channelPrune} operator). */
export interface ChannelPruneOptions {
  /** Importance criterion, by value or built-in name (default `l1`). */
  criterion?: Criterion | string;
  /** Kept channel counts are multiples of this (the full count is always allowed; default 1). */
  roundTo?: number;
  /** Fewest channels any group keeps (default 1; a group's own minimum wins when larger). */
  minChannels?: number;
  /** Which groups may shrink, by their producing layers (NNI vocabulary); default: every prunable group. */
  selector?: Selector;
  /** Randomness, backends and data for criteria that need them (default: seed 0, nothing else). */
  context?: CriterionContext;
}

/** One group's outcome. */
export interface GroupOutcome {
  group: string;
  channels: number;
  kept: number;
}

/** What {@link pruneChannels} did. */
export interface ChannelPruneReport {
  criterion: string;
  groups: GroupOutcome[];
  before: { params: number; macs: number; bytes: number };
  after: { params: number; macs: number; bytes: number };
}

/** The validated plan: how many channels each group keeps. */
export interface ChannelPrunePlan {
  groups: CouplingGroup[];
  /** Kept channel counts of the groups that shrink. */
  counts: Map<string, number>;
}

/**
 * Validates a policy against a graph's coupling groups and turns keep ratios into channel counts
 * (`keepCount` with `roundTo` and the minimum). Errors name the group: `MC_UNKNOWN_GROUP` (no such
 * group), `MC_POLICY_INVALID` (keep outside (0, 1], duplicates, malformed policy),
 * `MC_GROUP_UNPRUNABLE` (the group cannot shrink, or the selector protects it).
 *
 * @example
 * const { counts } = planChannelPruning(graph, policy, { roundTo: 8 });
 */
export function planChannelPruning(
  graph: Graph,
  policy: Policy,
  options: Pick<ChannelPruneOptions, 'roundTo' | 'minChannels' | 'selector'> & {
    groups?: readonly CouplingGroup[];
  } = {},
): ChannelPrunePlan {
  const groups = options.groups ? [...options.groups] : analyzeCoupling(graph);
  const checked = validatePolicy(policy, { knownGroups: groups.map((g) => g.id) });
  const byId = new Map(groups.map((g) => [g.id, g]));
  const selection = selectGroups(graph, groups, options.selector);
  const counts = new Map<string, number>();
  for (const entry of checked.groups) {
    if (entry.keep >= 1) continue;
    const g = byId.get(entry.group)!;
    const protectedWhy = selection.protected.get(g.id);
    if (protectedWhy !== undefined) {
      throw new MetacompressError(
        ErrorCodes.GROUP_UNPRUNABLE,
        `the policy asks to keep ${entry.keep} of a group that cannot be pruned: ${protectedWhy}`,
        {
          group: g.id,
        },
      );
    }
    const count = keepCount(g.channels, entry.keep, {
      roundTo: options.roundTo ?? 1,
      minChannels: Math.max(options.minChannels ?? 1, g.minChannels),
    });
    if (count < g.channels) counts.set(g.id, count);
  }
  return { groups, counts };
}

/**
 * The `count` highest-scoring channel indices, in ascending order (ties keep the lower index).
 *
 * @example
 * keepTopChannels(new Float64Array([0.3, 0.1, 0.9, 0.5]), 2); // [2, 3]
 */
export function keepTopChannels(scores: ArrayLike<number>, count: number): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[b] - scores[a] || a - b,
  );
  return order.slice(0, count).sort((a, b) => a - b);
}

function costSummary(graph: Graph): { params: number; macs: number; bytes: number } {
  const c = costOf(graph);
  return { params: c.params, macs: c.macs, bytes: c.bytes };
}

/**
 * Structured channel pruning with physical removal: for each group the policy shrinks, ranks its
 * channels with the criterion and removes the lowest ones from every coupled tensor (producer
 * filters and biases, BN parameters, consumers' input channels, depthwise `group` attributes...)
 * through `removeChannels`, so the result is a smaller dense model that runs faster anywhere.
 * Pure: returns a new graph.
 *
 * @example
 * const { graph: small, report } = await pruneChannels(graph, uniformPolicy(graph, { metric: 'macs', ratio: 0.5 }), { criterion: 'l1', roundTo: 8 });
 */
export async function pruneChannels(
  graph: Graph,
  policy: Policy,
  options: ChannelPruneOptions = {},
): Promise<{ graph: Graph; report: ChannelPruneReport }> {
  const criterion = resolveCriterion(options.criterion ?? 'l1');
  const plan = planChannelPruning(graph, policy, options);
  const shrinking = plan.groups.filter((g) => plan.counts.has(g.id));
  const context = options.context ?? { rng: createRng(0) };
  const scores = shrinking.length
    ? await criterion.score(graph, shrinking, context)
    : new Map<string, Float64Array>();
  const keep = new Map<string, number[]>();
  for (const g of shrinking) keep.set(g.id, keepTopChannels(scores.get(g.id)!, plan.counts.get(g.id)!));
  const pruned = keep.size ? removeChannels(graph, keep) : graph;
  const report: ChannelPruneReport = {
    criterion: criterion.name,
    groups: plan.groups
      .filter((g) => g.prunable)
      .map((g) => ({ group: g.id, channels: g.channels, kept: plan.counts.get(g.id) ?? g.channels })),
    before: costSummary(graph),
    after: keep.size ? costSummary(pruned) : costSummary(graph),
  };
  return { graph: pruned, report };
}

/**
 * The structured channel-pruning operator (see {@link pruneChannels}), applied from the pipeline's
 * policy (per coupling group keep ratios). Options: `criterion` (a built-in name or a
 * `defineCriterion` object; default `l1`), `roundTo`, `minChannels`, `selector`
 * (`{ opTypes, names, exclude }`). Data-driven criteria get the job's data and backends from the context.
 *
 * @example
 * const { graph: small } = await compress(graph, [channelPrune.with({ criterion: 'fpgm', roundTo: 8 })], { policy });
 */
export const channelPrune = defineOperator({
  name: 'channel-prune',
  description: 'structured channel pruning with physical removal over coupling groups',
  options: {
    criterion: option.custom<Criterion | string>(
      'importance criterion: l1, l2, fpgm, bn-scale, taylor, random, or a criterion object',
      'l1',
      (value, path) => {
        resolveCriterion(value, path);
        return value as Criterion | string;
      },
    ),
    roundTo: option.integer('kept channel counts are multiples of this', 1, { min: 1 }),
    minChannels: option.integer('fewest channels a group keeps', 1, { min: 1 }),
    selector: option.custom<Selector>(
      'which layers may lose output channels ({ opTypes, names, exclude })',
      {},
      (value, path) => parseSelector(value, path),
    ),
  },
  async apply(graph: Graph, policy, ctx, opts) {
    const { graph: pruned, report } = await pruneChannels(graph, policy, {
      ...opts,
      context: {
        rng: ctx.rng.fork('criterion'),
        backends: ctx.backends,
        data: ctx.data,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      },
    });
    return { graph: pruned, report: report as unknown as Record<string, unknown> };
  },
});
