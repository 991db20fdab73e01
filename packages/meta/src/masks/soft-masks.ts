import type * as tfc from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Tf } from '../network/forward';

/**
 * The rank of every channel by importance: `ranks[j]` is 0 for the most important channel, 1 for
 * the next… (ties go to the lower index, so ranks are a permutation and deterministic). Throws
 * `MC_INVALID_ARGUMENT` for NaN scores.
 *
 * @example
 * rankChannels([0.2, 0.9, 0.5]); // Int32Array [2, 0, 1]
 */
export function rankChannels(scores: ArrayLike<number>): Int32Array {
  const order = Array.from({ length: scores.length }, (_, j) => j);
  for (let j = 0; j < scores.length; j++) {
    if (Number.isNaN(scores[j]))
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `importance score of channel ${j} is NaN`, {
        field: 'scores',
      });
  }
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  const ranks = new Int32Array(scores.length);
  order.forEach((j, r) => (ranks[j] = r));
  return ranks;
}

function checkRanks(ranks: ArrayLike<number>, group?: string): void {
  const seen = new Uint8Array(ranks.length);
  for (let j = 0; j < ranks.length; j++) {
    const r = ranks[j];
    if (!Number.isInteger(r) || r < 0 || r >= ranks.length || seen[r]) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        'ranks must be a permutation of 0 … channels − 1',
        { field: 'ranks', ...(group ? { group } : {}) },
      );
    }
    seen[r] = 1;
  }
}

function checkTemperature(temperature: number): void {
  if (!(typeof temperature === 'number' && temperature > 0 && Number.isFinite(temperature))) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `temperature must be a finite number > 0, got ${temperature}`,
      { field: 'temperature' },
    );
  }
}

/**
 * A soft channel mask over an importance ranking (DESIGN §5, differentiable evaluation):
 * `mask_j = σ((keep·C − rank_j − 0.5) / τ)` for a group of C channels. Channels ranked inside the
 * kept share get ≈ 1, the rest ≈ 0, with a smooth edge of width τ around the cut. The sum is
 * ≈ keep·C (for τ around 0.3–1 and a cut away from both ends, to well under one channel: the sum
 * is a midpoint rule for ∫σ((keep·C − x)/τ)dx), the mask is differentiable in `keep`
 * (∂mask_j/∂keep = C·σ'(·)/τ), and as τ → 0 it becomes the hard mask that keeps the
 * `round(keep·C)` best channels (see {@link hardChannelMask}). `keep` is a scalar tensor (or one
 * value); the result is `[C]`.
 *
 * @example
 * const mask = softChannelMask(tf, tf.scalar(0.5), rankChannels(scores), 0.5); // ≈ [1, 1, 0, 0] for ranks [0, 1, 2, 3]
 */
export function softChannelMask(
  tf: Tf,
  keep: tfc.Tensor,
  ranks: ArrayLike<number>,
  temperature: number,
): tfc.Tensor1D {
  checkTemperature(temperature);
  checkRanks(ranks);
  if (keep.size !== 1)
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `keep must hold one value, got shape [${keep.shape.join(', ')}]`,
      { field: 'keep' },
    );
  const c = ranks.length;
  const offsets = tf.tensor1d(Float32Array.from(ranks, (r) => r + 0.5));
  return tf.sigmoid(tf.div(tf.sub(tf.mul(tf.reshape(keep, [1]), c), offsets), temperature)) as tfc.Tensor1D;
}

/** One group's channel ranking, for {@link softGroupMasks}. */
export interface GroupRanking {
  id: string;
  /** `ranks[j]`: rank of channel j (0 = most important), e.g. from {@link rankChannels}. */
  ranks: ArrayLike<number>;
}

/**
 * Soft masks of every group at once, keyed by group id — the `masks` the backend-tfjs executor
 * takes (`executor.forward(inputs, { masks })`). `keep` is `[groups]`, in the order of `rankings`
 * (e.g. from {@link differentiableKeep}).
 *
 * @example
 * const masks = softGroupMasks(tf, keep, f.groups.map((g, i) => ({ id: g.id, ranks: rankChannels(f.importance[i]) })), { temperature: 0.5 });
 */
export function softGroupMasks(
  tf: Tf,
  keep: tfc.Tensor1D,
  rankings: readonly GroupRanking[],
  options: { temperature: number },
): Record<string, tfc.Tensor1D> {
  if (keep.rank !== 1 || keep.shape[0] !== rankings.length) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `keep must be [${rankings.length}], got [${keep.shape.join(', ')}]`,
      { field: 'keep' },
    );
  }
  checkTemperature(options.temperature);
  const parts = tf.split(keep, rankings.length);
  const out: Record<string, tfc.Tensor1D> = {};
  rankings.forEach((g, i) => {
    try {
      checkRanks(g.ranks, g.id);
    } catch (error) {
      throw (error as MetacompressError).withDetails({ group: g.id });
    }
    out[g.id] = softChannelMask(tf, parts[i], g.ranks, options.temperature);
  });
  return out;
}

/**
 * The τ → 0 limit of {@link softChannelMask}: 1 for the `count` best-ranked channels, 0 for the rest.
 *
 * @example
 * hardChannelMask(2, [2, 0, 1]); // Float32Array [0, 1, 1]
 */
export function hardChannelMask(count: number, ranks: ArrayLike<number>): Float32Array {
  return Float32Array.from(ranks, (r) => (r < count ? 1 : 0));
}
