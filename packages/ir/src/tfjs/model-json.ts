import { ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * How a weight is quantized in a TF.js weight file: `uint8`/`uint16` values `q` stand for
 * `q * scale + min`; `float16` values are IEEE half floats.
 *
 * @example
 * const q: TfjsQuantization = { dtype: 'uint8', scale: 0.02, min: -1.3 };
 */
export interface TfjsQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale?: number;
  min?: number;
  original_dtype?: string;
}

/**
 * One weight of a TF.js weights manifest.
 *
 * @example
 * const w: TfjsWeightSpec = { name: 'dense/kernel', shape: [784, 10], dtype: 'float32' };
 */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: TfjsQuantization;
}

/**
 * A group of weights stored in one or more shard files, read in order.
 *
 * @example
 * const g: TfjsWeightsGroup = { paths: ['group1-shard1of1.bin'], weights: [{ name: 'd/bias', shape: [10], dtype: 'float32' }] };
 */
export interface TfjsWeightsGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

/**
 * A TF.js `model.json` of a LayersModel: the Keras topology plus a weights manifest.
 *
 * @example
 * const json: TfjsModelJson = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { layers: [] } }, weightsManifest: [] };
 */
export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: KerasJson;
  weightsManifest: TfjsWeightsGroup[];
  userDefinedMetadata?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * A Keras JSON object (`{ class_name, config, ... }`), kept loosely typed.
 *
 * @example
 * const topology: KerasJson = { class_name: 'Sequential', config: { layers: [] } };
 */
export type KerasJson = { [key: string]: unknown };

/**
 * Where a problem is: the model file, and the field inside it.
 *
 * @example
 * parseTfjsModelJson(text, { file: 'model.json' } satisfies JsonWhere);
 */
export interface JsonWhere {
  file?: string;
}

function invalid(reason: string, where: JsonWhere, field: string): never {
  throw new MetacompressError(ErrorCodes.MODEL_INVALID, reason, { file: where.file, field });
}

/**
 * True for a plain (non-array, non-null) object.
 *
 * @example
 * isObject({}); // true
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const WEIGHT_DTYPES = new Set(['float32', 'int32', 'bool', 'uint8', 'float16']);
const QUANT_DTYPES = new Set(['uint8', 'uint16', 'float16']);

function parseSpec(raw: unknown, where: JsonWhere, field: string): TfjsWeightSpec {
  if (!isObject(raw)) invalid('a weight entry must be an object', where, field);
  const { name, shape, dtype, quantization } = raw;
  if (typeof name !== 'string' || name.length === 0)
    invalid('a weight entry needs a non-empty string name', where, `${field}.name`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    invalid(`weight '${name}' needs a shape of non-negative integers`, where, `${field}.shape`);
  }
  const type = dtype === undefined ? 'float32' : dtype;
  if (typeof type !== 'string' || !WEIGHT_DTYPES.has(type)) {
    throw new MetacompressError(
      ErrorCodes.UNSUPPORTED_DTYPE,
      `weight '${name}' has dtype ${JSON.stringify(dtype)}; supported: ${[...WEIGHT_DTYPES].join(', ')}`,
      {
        file: where.file,
        field: `${field}.dtype`,
      },
    );
  }
  const spec: TfjsWeightSpec = { name, shape: shape as number[], dtype: type };
  if (quantization !== undefined && quantization !== null) {
    if (
      !isObject(quantization) ||
      typeof quantization.dtype !== 'string' ||
      !QUANT_DTYPES.has(quantization.dtype)
    ) {
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_DTYPE,
        `weight '${name}' has an unsupported quantization ${JSON.stringify(quantization)}`,
        {
          file: where.file,
          field: `${field}.quantization`,
        },
      );
    }
    const q = quantization as unknown as TfjsQuantization;
    if (q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) {
      invalid(
        `weight '${name}' is ${q.dtype}-quantized but has no finite scale and min`,
        where,
        `${field}.quantization`,
      );
    }
    spec.quantization = { dtype: q.dtype, scale: q.scale, min: q.min, original_dtype: q.original_dtype };
  }
  return spec;
}

/**
 * Parses and validates a TF.js LayersModel `model.json` (text, bytes or an already parsed object).
 * Throws `MC_ONNX_DECODE` (`ErrorCodes.MODEL_DECODE`) for malformed JSON and `MC_MODEL_INVALID` for a
 * graph model or missing / mistyped fields.
 *
 * @example
 * const json = parseTfjsModelJson(readFileSync('model.json', 'utf8'), { file: 'model.json' });
 * json.weightsManifest[0].paths; // ['group1-shard1of1.bin']
 */
export function parseTfjsModelJson(
  input: string | Uint8Array | unknown,
  where: JsonWhere = {},
): TfjsModelJson {
  let value: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input);
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new MetacompressError(
        ErrorCodes.MODEL_DECODE,
        `model.json is not valid JSON: ${(error as Error).message}`,
        { file: where.file },
        { cause: error },
      );
    }
  }
  if (!isObject(value)) invalid('model.json must hold a JSON object', where, '(root)');
  const format = value.format;
  if (format !== undefined && format !== 'layers-model') {
    invalid(
      `format '${String(format)}' is not a LayersModel (only 'layers-model' is supported; graph models are not)`,
      where,
      'format',
    );
  }
  const raw = value.modelTopology;
  if (!isObject(raw)) invalid('model.json has no modelTopology object', where, 'modelTopology');
  // Older converters wrap the Keras model config: { model_config: {...}, training_config: {...} }.
  const topology: Record<string, unknown> = isObject(raw.model_config) ? raw.model_config : raw;
  if (typeof topology.class_name !== 'string')
    invalid('modelTopology has no class_name', where, 'modelTopology.class_name');
  if ('node' in topology || 'versions' in topology)
    invalid(
      'modelTopology is a TensorFlow GraphDef (a graph model), not a Keras model',
      where,
      'modelTopology',
    );
  const manifest = value.weightsManifest ?? [];
  if (!Array.isArray(manifest)) invalid('weightsManifest must be an array', where, 'weightsManifest');
  const groups: TfjsWeightsGroup[] = manifest.map((g, gi) => {
    const field = `weightsManifest[${gi}]`;
    if (!isObject(g)) invalid('a weights group must be an object', where, field);
    if (!Array.isArray(g.paths) || !g.paths.every((p) => typeof p === 'string'))
      invalid('a weights group needs paths (strings)', where, `${field}.paths`);
    if (!Array.isArray(g.weights))
      invalid('a weights group needs a weights array', where, `${field}.weights`);
    return {
      paths: g.paths as string[],
      weights: g.weights.map((w, wi) => parseSpec(w, where, `${field}.weights[${wi}]`)),
    };
  });
  return { ...value, format: 'layers-model', modelTopology: topology, weightsManifest: groups };
}
