import { ErrorCodes, MetacompressError, type Dataset, type DifferentiableBackend } from '@metacompress/core';
import { DataType, channelVectors, createTensor, type Graph, type Tensor } from '@metacompress/ir';
import { defineCriterion, type Criterion, type CriterionContext } from '../criterion';
import { readSlices } from '../group-importance';

/** Options of {@link taylorCriterion}. */
export interface TaylorOptions {
  /** Batches to average over (default 4). */
  batches?: number;
  /** Samples per batch (default 32). */
  batchSize?: number;
  /** Which of the job's datasets to use; default: calibration, else train, else validation. */
  split?: 'calibration' | 'train' | 'validation' | 'test';
  /** Differentiable backends to try, by name (default: the registry's priority order). */
  backends?: readonly string[];
}

function pickData(ctx: CriterionContext, split: TaylorOptions['split']): Dataset | undefined {
  const data = ctx.data ?? {};
  if (split) return data[split];
  return data.calibration ?? data.train ?? data.validation;
}

/**
 * First-order Taylor importance: removing channel `j` changes the loss by about
 * `Σ_{w ∈ channel j} g·w` (g = ∂loss/∂w). The score is the square of that sum for each batch,
 * averaged over batches, where the sum runs over every parameter the group removes with the
 * channel (filters, biases, BN parameters, consumers' input weights) — the whole coupled channel,
 * not a per-slice average. Gradients come from the job's `differentiable` backend
 * (`weightGradients`, one call per batch) on the job's calibration (or train) data. Molchanov et
 * al., "Importance Estimation for Neural Network Pruning", CVPR 2019.
 *
 * @example
 * const criterion = taylorCriterion({ batches: 8, batchSize: 64 });
 * await compress(graph, [channelPrune.with({ criterion })], { policy, data: { calibration: mnist } });
 */
export function taylorCriterion(options: TaylorOptions = {}): Criterion {
  const batches = options.batches ?? 4;
  const batchSize = options.batchSize ?? 32;
  for (const [field, v] of [
    ['batches', batches],
    ['batchSize', batchSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `${field} must be a positive integer, got ${v}`,
        { field },
      );
  }
  return defineCriterion({
    name: 'taylor',
    description: 'first-order Taylor estimate of the loss change (Molchanov et al. 2019)',
    requires: 'differentiable',
    async score(graph: Graph, groups, ctx) {
      const data = pickData(ctx, options.split);
      if (!data || data.length === 0) {
        throw new MetacompressError(
          ErrorCodes.EMPTY_DATASET,
          'the taylor criterion needs data (calibration or train) to compute gradients',
          {
            field: options.split ? `data.${options.split}` : 'data.calibration',
          },
        );
      }
      if (!ctx.backends) {
        throw new MetacompressError(
          ErrorCodes.NO_BACKEND,
          'the taylor criterion needs a differentiable backend registry in its context',
          {},
        );
      }
      const backend = await ctx.backends.resolve<DifferentiableBackend<Graph>>(
        'differentiable',
        options.backends,
      );
      const initializers = new Map<string, Tensor>(graph.initializers.map((t) => [t.name, t]));
      const plan = groups.map((g) => ({
        group: g,
        slices: readSlices(graph, g).filter(
          (s) => s.slice.role !== 'qparam' && initializers.get(s.slice.tensor)?.dataType === DataType.FLOAT,
        ),
        score: new Float64Array(g.channels),
      }));
      const seed = ctx.rng.int(2 ** 31 - 1);
      let used = 0;
      for (const batch of data.batches(batchSize, { shuffleSeed: seed, limit: batches * batchSize })) {
        if (ctx.signal?.aborted)
          throw new MetacompressError(ErrorCodes.ABORTED, 'the taylor criterion was cancelled', {});
        const grads = await backend.weightGradients(graph, [batch]);
        const gradVectors = new Map<string, Tensor>();
        for (const { group, slices, score } of plan) {
          const contribution = new Float64Array(group.channels);
          for (const s of slices) {
            const g = grads.get(s.slice.tensor);
            if (!g) continue;
            let gt = gradVectors.get(s.slice.tensor);
            if (!gt) {
              const t = initializers.get(s.slice.tensor)!;
              if (g.length !== t.dims.reduce((a, b) => a * b, 1)) {
                throw new MetacompressError(
                  ErrorCodes.SHAPE_MISMATCH,
                  `backend '${backend.name}' returned ${g.length} gradients for tensor '${t.name}' of dims [${t.dims.join(', ')}]`,
                  {
                    backend: backend.name,
                    group: group.id,
                  },
                );
              }
              gt = createTensor(t.name, DataType.FLOAT, t.dims, g);
              gradVectors.set(s.slice.tensor, gt);
            }
            const gv = channelVectors(gt, s.slice);
            for (let j = 0; j < group.channels; j++) {
              const w = s.channels[j];
              const d = gv[j];
              let sum = 0;
              for (let i = 0; i < w.length; i++) sum += w[i] * d[i];
              contribution[j] += sum;
            }
          }
          for (let j = 0; j < group.channels; j++) score[j] += contribution[j] * contribution[j];
        }
        used++;
      }
      return new Map(plan.map(({ group, score }) => [group.id, score.map((v) => v / Math.max(used, 1))]));
    },
  });
}

/**
 * The first-order Taylor criterion with defaults (4 batches of 32): see {@link taylorCriterion}.
 *
 * @example
 * await compress(graph, [channelPrune.with({ criterion: taylor })], { policy, data: { calibration } });
 */
export const taylor: Criterion = taylorCriterion();
