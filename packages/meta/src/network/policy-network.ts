import { createRng, ErrorCodes, MetacompressError, WEIGHT_BITS, type WeightBits } from '@metacompress/core';
import { FEATURE_NAMES } from '../features/feature-names';

/** Hidden nonlinearity of Φ. */
export type PolicyActivation = 'relu' | 'tanh';

/**
 * The default bit widths the bit head chooses among.
 *
 * @example
 * createPolicyNetwork().config.bitWidths; // [32, 16, 8, 4]
 */
export const DEFAULT_BIT_WIDTHS: readonly WeightBits[] = Object.freeze([32, 16, 8, 4] as WeightBits[]);

/**
 * The architecture of a policy network Φ: the features it reads (in order), its width, its
 * nonlinearity and the bit widths its bit head scores.
 *
 * @example
 * const config: PolicyNetworkConfig = { featureNames: FEATURE_NAMES, hidden: 32, activation: 'relu', bitWidths: [32, 16, 8, 4] };
 */
export interface PolicyNetworkConfig {
  readonly featureNames: readonly string[];
  readonly hidden: number;
  readonly activation: PolicyActivation;
  readonly bitWidths: readonly WeightBits[];
}

/**
 * Parameters of Φ as plain named `Float32Array`s (row-major; shapes from {@link policyParamShapes}),
 * so learners can clone, adapt and average them without a framework object in sight.
 *
 * @example
 * const params: PolicyParams = initPolicyParams(config, 0); // params['keep.bias'].length === 1
 */
export type PolicyParams = Record<string, Float32Array>;

/**
 * A policy network: its name, architecture and parameters.
 *
 * @example
 * const phi: PolicyNetwork = createPolicyNetwork({ name: 'mine' });
 */
export interface PolicyNetwork {
  /** Shown in policies as `source: 'meta:<name>'`. */
  readonly name: string;
  readonly config: PolicyNetworkConfig;
  readonly params: PolicyParams;
}

/**
 * Options of {@link createPolicyNetwork}.
 *
 * @example
 * createPolicyNetwork({ name: 'tiny', hidden: 16, seed: 7 });
 */
export interface CreatePolicyNetworkOptions {
  /** Default `untrained`. */
  name?: string;
  /** Width of every hidden layer (default 32). */
  hidden?: number;
  /** Default `relu`. */
  activation?: PolicyActivation;
  /** Bit widths of the bit head (default 32, 16, 8, 4). */
  bitWidths?: readonly WeightBits[];
  /** Features the network reads (default {@link FEATURE_NAMES}). */
  featureNames?: readonly string[];
  /** Seed of the initialization (default 0). */
  seed?: number;
}

/**
 * Names and shapes of Φ's parameters. The architecture (x: a group's features, F of them; H hidden):
 * `e = act(act(x·embed.0 + b)·embed.1 + b)` per group; `c = mean over groups of e` (the pooled
 * whole-model context); `z = act([e, c]·head.0 + b)`; keep logit `z·keep + b`; bit logits `z·bits + b`.
 *
 * @example
 * policyParamShapes(config)['embed.0.weight']; // [F, H]
 */
export function policyParamShapes(config: PolicyNetworkConfig): Record<string, readonly number[]> {
  const f = config.featureNames.length;
  const h = config.hidden;
  const b = config.bitWidths.length;
  return {
    'embed.0.weight': [f, h],
    'embed.0.bias': [h],
    'embed.1.weight': [h, h],
    'embed.1.bias': [h],
    'head.0.weight': [2 * h, h],
    'head.0.bias': [h],
    'keep.weight': [h, 1],
    'keep.bias': [1],
    'bits.weight': [h, b],
    'bits.bias': [b],
  };
}

/**
 * Number of elements of a shape.
 *
 * @example
 * shapeSize([3, 4]); // 12
 */
export const shapeSize = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Checks an architecture: `MC_INVALID_ARGUMENT` naming the field when it is not usable.
 *
 * @example
 * validatePolicyConfig({ featureNames: FEATURE_NAMES, hidden: 0, activation: 'relu', bitWidths: [8] }); // throws (hidden)
 */
export function validatePolicyConfig(config: PolicyNetworkConfig): PolicyNetworkConfig {
  const bad = (field: string, reason: string): never => {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, reason, { field });
  };
  if (!Number.isInteger(config.hidden) || config.hidden < 1 || config.hidden > 4096)
    bad('hidden', `hidden must be an integer in [1, 4096], got ${config.hidden}`);
  if (config.activation !== 'relu' && config.activation !== 'tanh')
    bad('activation', `activation must be 'relu' or 'tanh', got ${String(config.activation)}`);
  if (
    !Array.isArray(config.featureNames) ||
    config.featureNames.length === 0 ||
    config.featureNames.some((n) => typeof n !== 'string')
  ) {
    bad('featureNames', 'featureNames must be a non-empty list of strings');
  }
  if (new Set(config.featureNames).size !== config.featureNames.length)
    bad('featureNames', 'featureNames has duplicates');
  if (!Array.isArray(config.bitWidths) || config.bitWidths.length === 0)
    bad('bitWidths', 'bitWidths must be a non-empty list');
  for (const b of config.bitWidths)
    if (!(WEIGHT_BITS as readonly number[]).includes(b))
      bad('bitWidths', `bit width ${String(b)} is not one of ${WEIGHT_BITS.join(', ')}`);
  if (new Set(config.bitWidths).size !== config.bitWidths.length)
    bad('bitWidths', 'bitWidths has duplicates');
  return config;
}

/**
 * Seeded initialization of Φ: Glorot-uniform weights (Glorot & Bengio 2010), zero biases. The keep
 * head starts at a tenth of that scale, so an untrained Φ predicts logits near 0 — after the
 * budget projection, a policy close to uniform.
 *
 * @example
 * const params = initPolicyParams(config, 42); // same seed, same bytes
 */
export function initPolicyParams(config: PolicyNetworkConfig, seed = 0): PolicyParams {
  validatePolicyConfig(config);
  const rng = createRng(seed);
  const params: PolicyParams = {};
  for (const [name, shape] of Object.entries(policyParamShapes(config))) {
    const values = new Float32Array(shapeSize(shape));
    if (name.endsWith('.weight')) {
      const limit = Math.sqrt(6 / (shape[0] + shape[1])) * (name === 'keep.weight' ? 0.1 : 1);
      const r = rng.fork(name);
      for (let i = 0; i < values.length; i++) values[i] = (2 * r.next() - 1) * limit;
    }
    params[name] = values;
  }
  return params;
}

/**
 * A new, untrained policy network with seeded parameters.
 *
 * @example
 * const phi = createPolicyNetwork({ seed: 1 });
 * phi.config.featureNames === FEATURE_NAMES; // true
 */
export function createPolicyNetwork(options: CreatePolicyNetworkOptions = {}): PolicyNetwork {
  const config = validatePolicyConfig({
    featureNames: options.featureNames ?? FEATURE_NAMES,
    hidden: options.hidden ?? 32,
    activation: options.activation ?? 'relu',
    bitWidths: options.bitWidths ?? DEFAULT_BIT_WIDTHS,
  });
  return { name: options.name ?? 'untrained', config, params: initPolicyParams(config, options.seed ?? 0) };
}

/**
 * A deep copy of parameters (learn2learn's `clone()` on plain data).
 *
 * @example
 * const fast = cloneParams(phi.params); // adapt `fast`, keep `phi.params`
 */
export function cloneParams(params: Readonly<PolicyParams>): PolicyParams {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v)]));
}

/**
 * Checks that parameters match an architecture: every name present with the right length, none
 * extra, all finite. Throws `code` (default `MC_INVALID_ARGUMENT`) naming the parameter.
 *
 * @example
 * checkPolicyParams(config, params);
 */
export function checkPolicyParams(
  config: PolicyNetworkConfig,
  params: Readonly<PolicyParams>,
  code: string = ErrorCodes.INVALID_ARGUMENT,
  file?: string,
): void {
  const shapes = policyParamShapes(config);
  const where = (field: string) => ({ field, ...(file ? { file } : {}) });
  for (const [name, shape] of Object.entries(shapes)) {
    const v = params[name];
    if (!(v instanceof Float32Array))
      throw new MetacompressError(code, `parameter '${name}' is missing`, where(`params.${name}`));
    if (v.length !== shapeSize(shape)) {
      throw new MetacompressError(
        code,
        `parameter '${name}' has ${v.length} values, shape [${shape.join(', ')}] needs ${shapeSize(shape)}`,
        where(`params.${name}`),
      );
    }
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i]))
        throw new MetacompressError(
          code,
          `parameter '${name}' holds a non-finite value at ${i}`,
          where(`params.${name}`),
        );
    }
  }
  for (const name of Object.keys(params)) {
    if (!(name in shapes))
      throw new MetacompressError(code, `unexpected parameter '${name}'`, where(`params.${name}`));
  }
}
