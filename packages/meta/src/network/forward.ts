import type * as tfc from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import {
  checkPolicyParams,
  policyParamShapes,
  type PolicyNetworkConfig,
  type PolicyParams,
} from './policy-network';

/** The tfjs-core module (`(await initTfjs()).tf`). */
export type Tf = typeof tfc;

/** Φ's parameters as tensors, by the names of {@link policyParamShapes}. */
export type TensorParams = Readonly<Record<string, tfc.Tensor>>;

/**
 * What Φ emits for a model's groups.
 *
 * @example
 * const { keepLogits, bitLogits } = policyForward(tf, config, params, features);
 */
export interface PolicyOutputs {
  /** `[groups]`: the keep logit of each group (before the budget projection). */
  keepLogits: tfc.Tensor1D;
  /** `[groups, bitWidths]`: scores of each bit width of `config.bitWidths`. */
  bitLogits: tfc.Tensor2D;
}

/**
 * Φ's parameters as tensors of their shapes (constants; wrap them in `tf.variable` or pass them to
 * `tf.grad` to differentiate). Checks the parameters first (`MC_INVALID_ARGUMENT`).
 *
 * @example
 * const p = paramsToTensors(tf, phi.config, phi.params);
 */
export function paramsToTensors(
  tf: Tf,
  config: PolicyNetworkConfig,
  params: Readonly<PolicyParams>,
): Record<string, tfc.Tensor> {
  checkPolicyParams(config, params);
  const shapes = policyParamShapes(config);
  return Object.fromEntries(
    Object.entries(shapes).map(([name, shape]) => [name, tf.tensor(params[name], [...shape], 'float32')]),
  );
}

/**
 * Reads tensors back into plain parameters (e.g. after an adaptation step).
 *
 * @example
 * const adapted = tensorsToParams(fastWeights);
 */
export function tensorsToParams(tensors: TensorParams): PolicyParams {
  return Object.fromEntries(
    Object.entries(tensors).map(([name, t]) => [name, Float32Array.from(t.dataSync() as Float32Array)]),
  );
}

/**
 * Φ's forward pass, written functionally (parameters in, tensors out, no state), so that
 * `tf.grad` of a loss of its outputs — and the gradient of that gradient, for second-order MAML
 * (Finn et al., "Model-Agnostic Meta-Learning", ICML 2017) — flows to `params`. One shared network
 * scores every group: an MLP embedding per group, a mean-pooled whole-model context concatenated
 * back to every embedding (a DeepSets-style pooling, Zaheer et al. 2017), then an MLP with a keep
 * logit and a bit-width head. The output does not depend on the order of the rows except through
 * that order itself (permuting rows permutes outputs).
 *
 * `features` is `[groups, F]` with columns `config.featureNames`; `MC_SHAPE_MISMATCH` otherwise.
 *
 * @example
 * const { keepLogits, bitLogits } = policyForward(tf, phi.config, paramsToTensors(tf, phi.config, phi.params), tf.tensor2d(featureMatrix(f), [f.rows.length, FEATURE_COUNT]));
 */
export function policyForward(
  tf: Tf,
  config: PolicyNetworkConfig,
  params: TensorParams,
  features: tfc.Tensor2D,
): PolicyOutputs {
  const f = config.featureNames.length;
  if (features.rank !== 2 || features.shape[1] !== f || features.shape[0] < 1) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `features must be [groups ≥ 1, ${f}], got [${features.shape.join(', ')}]`,
      { field: 'features' },
    );
  }
  const shapes = policyParamShapes(config);
  for (const [name, shape] of Object.entries(shapes)) {
    const t = params[name];
    if (!t || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new MetacompressError(
        ErrorCodes.SHAPE_MISMATCH,
        `parameter '${name}' must be [${shape.join(', ')}], got ${t ? `[${t.shape.join(', ')}]` : 'nothing'}`,
        {
          field: `params.${name}`,
        },
      );
    }
  }
  const act = (x: tfc.Tensor): tfc.Tensor2D =>
    (config.activation === 'tanh' ? tf.tanh(x) : tf.relu(x)) as tfc.Tensor2D;
  const linear = (x: tfc.Tensor, name: string): tfc.Tensor2D =>
    tf.add(
      tf.matMul(x as tfc.Tensor2D, params[`${name}.weight`] as tfc.Tensor2D),
      params[`${name}.bias`]!,
    ) as tfc.Tensor2D;
  const groups = features.shape[0];
  const embedding = act(linear(act(linear(features, 'embed.0')), 'embed.1'));
  const context = tf.tile(tf.mean(embedding, 0, true), [groups, 1]);
  const z = act(linear(tf.concat([embedding, context], 1), 'head.0'));
  return {
    keepLogits: tf.reshape(linear(z, 'keep'), [groups]) as tfc.Tensor1D,
    bitLogits: linear(z, 'bits'),
  };
}
