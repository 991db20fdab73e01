import type * as tfc from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { CostEstimator, CostMetric } from '@metacompress/ir';
import type { Tf } from '../network/forward';

/**
 * How the gradient treats the projection's shift s:
 * - `constant`: keep_g = σ(l_g + s) with s a constant. Cheap; the gradient ignores that moving
 *   one logit changes the shift that meets the budget, so training should re-project every step
 *   (and may add a budget penalty).
 * - `implicit`: s is the function of all logits that keeps the (relaxed) cost on budget, and its
 *   derivative comes from the implicit function theorem: with C(k) the cost as a function of keep
 *   ratios and m_g = ∂C/∂k_g (from {@link marginalCosts}), C(σ(l + s(l))) = const gives
 *   ∂s/∂l_g = −a_g, a_g = m_g σ'_g / Σ_h m_h σ'_h. It is built as s(l) = s + Σ_g a_g (l⁰_g − l_g)
 *   with l⁰ the logits' current values and a held constant: the value equals σ(l + s) and the
 *   first derivative is the implicit one (to first order the budget is kept: Σ m_g ∂k_g/∂l = 0);
 *   second derivatives treat a (and m) as constants.
 * Both ignore the rounding to whole channels (a step function with zero gradient).
 */
export type ShiftGradient = 'constant' | 'implicit';

/**
 * Options of {@link differentiableKeep}.
 *
 * @example
 * const options: DifferentiableKeepOptions = { shift: p.shift, gradient: 'implicit', marginal: marginalCosts(est, p.counts, p.groups, 'macs') };
 */
export interface DifferentiableKeepOptions {
  /** The projection's shift (`projectBudget(...).shift`). */
  shift: number;
  /** Default `constant`. */
  gradient?: ShiftGradient;
  /** Marginal costs m_g = ∂cost/∂keep_g, one per logit (required for `implicit`). */
  marginal?: ArrayLike<number>;
}

/**
 * Keep ratios as a differentiable function of the keep logits, for training Φ through soft masks:
 * keep_g = σ(l_g + s) with s the projection's shift, its gradient as {@link ShiftGradient}
 * describes. Returns a `[groups]` tensor (the caller disposes it, or runs inside `tf.tidy`).
 *
 * @example
 * const keep = differentiableKeep(tf, keepLogits, { shift: projection.shift });
 * const masks = softGroupMasks(tf, keep, rankings, { temperature: 0.5 });
 */
export function differentiableKeep(
  tf: Tf,
  keepLogits: tfc.Tensor1D,
  options: DifferentiableKeepOptions,
): tfc.Tensor1D {
  const { shift } = options;
  if (!Number.isFinite(shift))
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `shift must be finite, got ${shift}`, {
      field: 'shift',
    });
  const gradient = options.gradient ?? 'constant';
  if (gradient === 'constant') return tf.sigmoid(tf.add(keepLogits, shift)) as tfc.Tensor1D;
  if (gradient !== 'implicit')
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `gradient must be 'constant' or 'implicit', got ${String(gradient)}`,
      { field: 'gradient' },
    );
  const m = options.marginal;
  const n = keepLogits.shape[0];
  if (!m || m.length !== n) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `the implicit gradient needs one marginal cost per logit (${n}), got ${m ? m.length : 'none'}`,
      { field: 'marginal' },
    );
  }
  const l0 = keepLogits.dataSync();
  const weights = new Float64Array(n);
  let total = 0;
  for (let g = 0; g < n; g++) {
    const k = 1 / (1 + Math.exp(-(l0[g] + shift)));
    if (!Number.isFinite(m[g]) || m[g] < 0)
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `marginal cost ${m[g]} must be finite and ≥ 0`,
        { field: 'marginal' },
      );
    weights[g] = m[g] * k * (1 - k);
    total += weights[g];
  }
  if (!(total > 0)) return tf.sigmoid(tf.add(keepLogits, shift)) as tfc.Tensor1D;
  const a = Float32Array.from(weights, (w) => w / total);
  let offset = shift;
  for (let g = 0; g < n; g++) offset += a[g] * l0[g];
  // s(l) = shift + a·l⁰ − a·l
  const s = tf.sub(offset, tf.sum(tf.mul(tf.tensor1d(a), keepLogits)));
  return tf.sigmoid(tf.add(keepLogits, s)) as tfc.Tensor1D;
}

/**
 * Marginal cost of each group's keep ratio at given channel counts: m_g ≈ ∂cost/∂keep_g =
 * channels_g × (cost with one channel more − cost with one channel fewer) / 2 (one-sided at the
 * ends), priced by ir's cost-of-keeps estimator — exact for costs linear or quadratic in a group's
 * count. What the `implicit` gradient of {@link differentiableKeep} weighs groups by.
 *
 * @example
 * const m = marginalCosts(estimator, projection.counts, projection.groups, 'macs');
 */
export function marginalCosts(
  estimator: CostEstimator,
  counts: ReadonlyMap<string, number>,
  groupIds: readonly string[],
  metric: CostMetric,
): Float64Array {
  const byId = new Map(estimator.groups.map((g) => [g.id, g]));
  const out = new Float64Array(groupIds.length);
  groupIds.forEach((id, i) => {
    const g = byId.get(id);
    if (!g)
      throw new MetacompressError(ErrorCodes.UNKNOWN_GROUP, `no coupling group '${id}' in this graph`, {
        group: id,
      });
    const n = counts.get(id) ?? g.channels;
    const up = Math.min(g.channels, n + 1);
    const down = Math.max(g.minChannels, n - 1);
    if (up === down) return;
    const price = (k: number): number => estimator.estimate(new Map([...counts, [id, k]]))[metric];
    out[i] = (g.channels * (price(up) - price(down))) / (up - down);
  });
  return out;
}
