import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { checkPolicyParams, type PolicyNetworkConfig, type PolicyParams } from './policy-network';

/**
 * Φ's outputs computed on the host.
 *
 * @example
 * const { keepLogits, bitLogits } = policyForwardHost(config, params, rows);
 */
export interface HostPolicyOutputs {
  /** `keepLogits[i]`: the keep logit of group `i`. */
  keepLogits: Float64Array;
  /** `bitLogits[i][b]`: the score of `config.bitWidths[b]` for group `i`. */
  bitLogits: Float64Array[];
}

/**
 * Φ's forward pass in plain JavaScript (float64), the same function as `policyForward` without
 * TensorFlow.js: zero-shot prediction needs no tensor engine. Rows are feature vectors with
 * columns `config.featureNames`.
 *
 * @example
 * const { keepLogits } = policyForwardHost(phi.config, phi.params, featurizeGroups(graph, { budget }).rows);
 */
export function policyForwardHost(
  config: PolicyNetworkConfig,
  params: Readonly<PolicyParams>,
  rows: readonly ArrayLike<number>[],
): HostPolicyOutputs {
  checkPolicyParams(config, params);
  const f = config.featureNames.length;
  const h = config.hidden;
  if (rows.length === 0 || rows.some((r) => r.length !== f)) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `features must be ≥ 1 rows of ${f} values, got ${rows.length} rows${rows.length ? ` of ${rows[0].length}` : ''}`,
      {
        field: 'features',
      },
    );
  }
  const act = config.activation === 'tanh' ? Math.tanh : (x: number) => (x > 0 ? x : 0);
  /** y = act?(x·W + b) for W [in, out] row-major. */
  const linear = (x: ArrayLike<number>, name: string, out: number, activate: boolean): Float64Array => {
    const w = params[`${name}.weight`];
    const b = params[`${name}.bias`];
    const y = Float64Array.from(b);
    for (let i = 0; i < x.length; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      for (let o = 0; o < out; o++) y[o] += xi * w[i * out + o];
    }
    if (activate) for (let o = 0; o < out; o++) y[o] = act(y[o]);
    return y;
  };
  const embeddings = rows.map((r) => linear(linear(r, 'embed.0', h, true), 'embed.1', h, true));
  const context = new Float64Array(h);
  for (const e of embeddings) for (let o = 0; o < h; o++) context[o] += e[o] / embeddings.length;
  const keepLogits = new Float64Array(rows.length);
  const bitLogits = embeddings.map((e, i) => {
    const joined = new Float64Array(2 * h);
    joined.set(e, 0);
    joined.set(context, h);
    const z = linear(joined, 'head.0', h, true);
    keepLogits[i] = linear(z, 'keep', 1, false)[0];
    return linear(z, 'bits', config.bitWidths.length, false);
  });
  return { keepLogits, bitLogits };
}
