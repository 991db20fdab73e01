import { defineCriterion, type Criterion } from '../criterion';

/**
 * Random importance, the control every criterion should beat: seeded uniform scores from the
 * context's RNG (forked per group id, so a group's scores do not depend on which other groups are scored).
 *
 * @example
 * await compress(graph, [channelPrune.with({ criterion: randomImportance })], { policy, seed: 3 });
 */
export const randomImportance: Criterion = defineCriterion({
  name: 'random',
  description: 'seeded random scores (a control)',
  score: (_graph, groups, ctx) =>
    new Map(
      groups.map((g) => {
        const rng = ctx.rng.fork(`random:${g.id}`);
        return [g.id, Float64Array.from({ length: g.channels }, () => rng.next())];
      }),
    ),
});
