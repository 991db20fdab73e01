import { ErrorCodes, MetacompressError, type Dataset, type InferenceBackend } from '@metacompress/core';
import {
  analyzeCoupling,
  freeGroups,
  keepCount,
  removeChannels,
  type CouplingGroup,
  type Graph,
  type KeepRounding,
} from '@metacompress/ir';
import { rankChannels } from '../masks/soft-masks';
import { channelImportance } from './channel-importance';

/**
 * Options of {@link measureSensitivity}.
 *
 * @example
 * const options: SensitivityOptions = { backend: ort, data: calibration, batches: 2, batchSize: 32 };
 */
export interface SensitivityOptions extends KeepRounding {
  /** Anything that evaluates a graph on a dataset: core's `InferenceBackend` (onnxruntime) or `DifferentiableBackend`. */
  backend: Pick<InferenceBackend<Graph>, 'evaluate'>;
  /** Data to measure the loss on (its first `batches × batchSize` samples, in order). */
  data: Dataset;
  /** Batches per measurement (default 2). */
  batches?: number;
  /** Samples per batch (default 32). */
  batchSize?: number;
  /** Keep ratio each group is pruned to, alone (default 0.5: "pruned by half"). */
  ratio?: number;
  /** Groups to measure (default: every prunable group). */
  groups?: readonly string[];
  /** Coupling groups already computed (default `analyzeCoupling(graph)`). */
  couplingGroups?: readonly CouplingGroup[];
  /** Called after each measurement with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The one-shot sensitivity feature (DESIGN §5): for each group alone, the loss increase when its
 * lowest-L1 channels are physically removed (ir's `removeChannels`) down to `ratio` of them,
 * measured with `backend.evaluate` on a few batches — after the per-layer sensitivity analysis of
 * Li et al., "Pruning Filters for Efficient ConvNets" (ICLR 2017), at a single ratio. Loss is the
 * backend's mean loss, or 1 − accuracy when it reports none. The result (which may be negative)
 * feeds `featurizeGroups(graph, { sensitivity })`. A group whose rounded count keeps every channel
 * gets 0 without a measurement.
 *
 * Throws `MC_EMPTY_DATASET` without data, `MC_INVALID_ARGUMENT` for a ratio outside (0, 1) or bad
 * batch settings, `MC_UNKNOWN_GROUP`/`MC_GROUP_UNPRUNABLE` for bad ids.
 *
 * @example
 * const sensitivity = await measureSensitivity(graph, { backend: ort, data: calibration });
 * const f = featurizeGroups(graph, { budget, sensitivity });
 */
export async function measureSensitivity(
  graph: Graph,
  options: SensitivityOptions,
): Promise<Map<string, number>> {
  if (!options?.data || options.data.length === 0) {
    throw new MetacompressError(
      ErrorCodes.EMPTY_DATASET,
      'the sensitivity feature needs data to measure the loss on',
      { field: 'data' },
    );
  }
  const ratio = options.ratio ?? 0.5;
  if (!(ratio > 0 && ratio < 1))
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `ratio must be in (0, 1), got ${ratio}`, {
      field: 'ratio',
    });
  const batchSize = options.batchSize ?? 32;
  const batches = options.batches ?? 2;
  for (const [field, v] of [
    ['batchSize', batchSize],
    ['batches', batches],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `${field} must be an integer ≥ 1, got ${v}`, {
        field,
      });
  }
  const limit = batches * batchSize;
  const lossOf = async (g: Graph): Promise<number> => {
    const r = await options.backend.evaluate(g, options.data, { batchSize, limit });
    return r.loss ?? 1 - r.accuracy;
  };
  const groups = freeGroups(options.couplingGroups ?? analyzeCoupling(graph), options.groups);
  const baseLoss = await lossOf(graph);
  const out = new Map<string, number>();
  let done = 0;
  for (const g of groups) {
    const count = keepCount(g.channels, ratio, {
      roundTo: options.roundTo ?? 1,
      minChannels: Math.max(options.minChannels ?? 1, g.minChannels),
    });
    if (count < g.channels) {
      const ranks = rankChannels(channelImportance(graph, g).scores);
      const kept: number[] = [];
      ranks.forEach((r, j) => r < count && kept.push(j));
      out.set(g.id, (await lossOf(removeChannels(graph, new Map([[g.id, kept]])))) - baseLoss);
    } else out.set(g.id, 0);
    options.onProgress?.(++done, groups.length);
  }
  return out;
}
