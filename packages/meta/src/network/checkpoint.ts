import { ErrorCodes, MetacompressError, type WeightBits } from '@metacompress/core';
import { FEATURE_NAMES } from '../features/feature-names';
import {
  checkPolicyParams,
  policyParamShapes,
  shapeSize,
  validatePolicyConfig,
  type PolicyActivation,
  type PolicyNetwork,
  type PolicyParams,
} from './policy-network';

/**
 * The `format` field of a policy checkpoint.
 *
 * @example
 * JSON.parse(serializePolicyNetwork(phi)).format === POLICY_CHECKPOINT_FORMAT; // true
 */
export const POLICY_CHECKPOINT_FORMAT = 'metacompress-policy';
/**
 * The checkpoint version this build writes and reads.
 *
 * @example
 * JSON.parse(serializePolicyNetwork(phi)).version; // 1
 */
export const POLICY_CHECKPOINT_VERSION = 1;

/** One parameter in a checkpoint: its shape and its float32 values, little-endian, base64. */
export interface CheckpointTensor {
  shape: number[];
  dtype: 'float32';
  data: string;
}

/**
 * A policy network as JSON: versioned, with the feature names the network reads (so that a
 * featurizer change is caught instead of silently feeding shifted columns).
 *
 * @example
 * const json: PolicyCheckpoint = JSON.parse(serializePolicyNetwork(phi));
 * json.featureNames.length; // FEATURE_COUNT
 */
export interface PolicyCheckpoint {
  format: typeof POLICY_CHECKPOINT_FORMAT;
  version: number;
  name: string;
  featureNames: string[];
  architecture: { hidden: number; activation: PolicyActivation; bitWidths: WeightBits[] };
  params: Record<string, CheckpointTensor>;
  /** Free-form JSON (e.g. how the network was trained). */
  meta?: Record<string, unknown>;
}

function toBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string, fail: (reason: string) => never): Float32Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    fail('data is not valid base64');
  }
  if (binary.length % 4 !== 0)
    fail(`data holds ${binary.length} bytes, not a whole number of float32 values`);
  const view = new DataView(Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer);
  const out = new Float32Array(binary.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * Writes a policy network as checkpoint JSON text (parameters exact: float32 bytes in base64).
 *
 * @example
 * await writeFileAtomic('policy.json', serializePolicyNetwork(phi, { meta: { learner: 'reptile' } }));
 */
export function serializePolicyNetwork(
  network: PolicyNetwork,
  options: { meta?: Record<string, unknown> } = {},
): string {
  validatePolicyConfig(network.config);
  checkPolicyParams(network.config, network.params);
  const shapes = policyParamShapes(network.config);
  const checkpoint: PolicyCheckpoint = {
    format: POLICY_CHECKPOINT_FORMAT,
    version: POLICY_CHECKPOINT_VERSION,
    name: network.name,
    featureNames: [...network.config.featureNames],
    architecture: {
      hidden: network.config.hidden,
      activation: network.config.activation,
      bitWidths: [...network.config.bitWidths],
    },
    params: Object.fromEntries(
      Object.entries(shapes).map(([name, shape]) => [
        name,
        { shape: [...shape], dtype: 'float32', data: toBase64(network.params[name]) },
      ]),
    ),
  };
  if (options.meta) checkpoint.meta = options.meta;
  return JSON.stringify(checkpoint);
}

/** Options of {@link parsePolicyNetwork}. */
export interface ParsePolicyNetworkOptions {
  /** Named in errors. */
  file?: string;
  /** The features the caller will feed (default {@link FEATURE_NAMES}); a checkpoint that reads others is rejected. */
  featureNames?: readonly string[];
}

/**
 * Reads checkpoint JSON (text or parsed) back into a policy network. Anything wrong — not JSON,
 * another format, an unsupported version, feature names that differ from the featurizer's, a
 * missing/extra/misshapen/non-finite parameter — throws `MC_CHECKPOINT_INVALID` naming the field
 * (and the file when given).
 *
 * @example
 * const phi = parsePolicyNetwork(await readFile('policy.json', 'utf8'), { file: 'policy.json' });
 */
export function parsePolicyNetwork(
  input: string | unknown,
  options: ParsePolicyNetworkOptions = {},
): PolicyNetwork & { meta?: Record<string, unknown> } {
  const { file } = options;
  const fail = (field: string, reason: string): never => {
    throw new MetacompressError(ErrorCodes.CHECKPOINT_INVALID, reason, { field, ...(file ? { file } : {}) });
  };
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      fail('(root)', `not valid JSON: ${(error as Error).message}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('(root)', 'a policy checkpoint must be a JSON object');
  const raw = value as Record<string, unknown>;
  if (raw.format !== POLICY_CHECKPOINT_FORMAT)
    fail('format', `expected format '${POLICY_CHECKPOINT_FORMAT}', got ${JSON.stringify(raw.format)}`);
  if (raw.version !== POLICY_CHECKPOINT_VERSION)
    fail(
      'version',
      `unsupported checkpoint version ${JSON.stringify(raw.version)}; this build reads version ${POLICY_CHECKPOINT_VERSION}`,
    );
  if (typeof raw.name !== 'string' || raw.name.length === 0) fail('name', 'name must be a non-empty string');
  const names = raw.featureNames;
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))
    fail('featureNames', 'featureNames must be a list of strings');
  const expected = options.featureNames ?? FEATURE_NAMES;
  const featureNames = names as string[];
  if (featureNames.length !== expected.length || featureNames.some((n, i) => n !== expected[i])) {
    const i = featureNames.findIndex((n, k) => n !== expected[k]);
    const at = i < 0 ? Math.min(featureNames.length, expected.length) : i;
    fail(
      'featureNames',
      `the network reads ${featureNames.length} features, the featurizer makes ${expected.length}; first difference at column ${at}: ` +
        `${JSON.stringify(featureNames[at] ?? null)} in the checkpoint vs ${JSON.stringify(expected[at] ?? null)}`,
    );
  }
  const arch = raw.architecture as Record<string, unknown> | undefined;
  if (typeof arch !== 'object' || arch === null) fail('architecture', 'architecture must be an object');
  let config;
  try {
    config = validatePolicyConfig({
      featureNames: [...expected],
      hidden: arch!.hidden as number,
      activation: arch!.activation as PolicyActivation,
      bitWidths: arch!.bitWidths as WeightBits[],
    });
  } catch (error) {
    const e = error as MetacompressError;
    fail(`architecture.${String(e.details?.field ?? '')}`, e.reason ?? String(error));
  }
  const stored = raw.params;
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored))
    fail('params', 'params must be an object');
  const shapes = policyParamShapes(config!);
  const params: PolicyParams = {};
  for (const [name, t] of Object.entries(stored as Record<string, unknown>)) {
    const field = `params.${name}`;
    const shape = shapes[name];
    if (!shape) fail(field, `unexpected parameter '${name}'`);
    const entry = t as Partial<CheckpointTensor> | null;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.data !== 'string' ||
      entry.dtype !== 'float32' ||
      !Array.isArray(entry.shape)
    ) {
      fail(field, 'a parameter must be { shape, dtype: "float32", data: base64 }');
    }
    if (entry!.shape!.length !== shape!.length || entry!.shape!.some((d, i) => d !== shape![i])) {
      fail(
        field,
        `shape [${entry!.shape!.join(', ')}] does not match the architecture's [${shape!.join(', ')}]`,
      );
    }
    const values = fromBase64(entry!.data!, (reason) => fail(field, reason));
    if (values.length !== shapeSize(shape!))
      fail(field, `holds ${values.length} values, shape [${shape!.join(', ')}] needs ${shapeSize(shape!)}`);
    params[name] = values;
  }
  checkPolicyParams(config!, params, ErrorCodes.CHECKPOINT_INVALID, file);
  const network: PolicyNetwork & { meta?: Record<string, unknown> } = {
    name: raw.name as string,
    config: config!,
    params,
  };
  if (raw.meta !== undefined) {
    if (typeof raw.meta !== 'object' || raw.meta === null || Array.isArray(raw.meta))
      fail('meta', 'meta must be an object');
    network.meta = raw.meta as Record<string, unknown>;
  }
  return network;
}
