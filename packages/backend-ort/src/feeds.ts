import type { DenseTensor } from '@metacompress/core';
import { createRng, ErrorCodes, MetacompressError, sizeOf } from '@metacompress/core';
import { float32ToFloat16Bits } from '@metacompress/ir';
import type { OrtModule, OrtSession, OrtTensor } from './ort-module';
import { toOrtTensor, type OrtElementType } from './tensor-convert';

/**
 * A model input or output as onnxruntime reports it: element type and shape (numbers for fixed
 * dims, strings for symbolic ones); `shape` is undefined when the rank is unknown.
 *
 * @example
 * const spec: OrtValueSpec = { name: 'input', type: 'float32', shape: ['N', 1, 28, 28] };
 */
export interface OrtValueSpec {
  name: string;
  type?: OrtElementType;
  shape?: readonly (number | string)[];
}

function specsOf(metadata: OrtSession['inputMetadata'] | undefined, names: readonly string[]): OrtValueSpec[] {
  const byName = new Map((metadata ?? []).map((m) => [m.name, m]));
  return names.map((name) => {
    const m = byName.get(name);
    if (!m || !m.isTensor) return { name };
    // onnxruntime reports an unknown rank as an empty shape: treat it as unknown, not as a scalar.
    return { name, type: m.type, shape: m.shape.length > 0 ? m.shape : undefined };
  });
}

/**
 * The input specs of a session, in the model's order.
 *
 * @example
 * sessionInputs(session); // [{ name: 'input', type: 'float32', shape: ['N', 1, 28, 28] }]
 */
export function sessionInputs(session: OrtSession): OrtValueSpec[] {
  return specsOf(session.inputMetadata, session.inputNames);
}

/**
 * The output specs of a session, in the model's order.
 *
 * @example
 * sessionOutputs(session); // [{ name: 'logits', type: 'float32', shape: ['N', 10] }]
 */
export function sessionOutputs(session: OrtSession): OrtValueSpec[] {
  return specsOf(session.outputMetadata, session.outputNames);
}

/** True when a dim is a fixed size rather than a symbolic or unknown one. */
export function isFixedDim(dim: number | string): dim is number {
  return typeof dim === 'number' && Number.isInteger(dim) && dim >= 0;
}

const formatShape = (shape: readonly (number | string)[]): string => `[${shape.join(', ')}]`;

/**
 * Checks one feed against its input spec: same rank, same size on every fixed dim. Throws
 * `MC_SHAPE_MISMATCH` naming the input and both shapes.
 *
 * @example
 * checkFeedShape({ name: 'input', shape: ['N', 784] }, [2, 784]); // ok
 */
export function checkFeedShape(spec: OrtValueSpec, dims: readonly number[]): void {
  if (!spec.shape) return;
  const fits = spec.shape.length === dims.length && spec.shape.every((d, i) => !isFixedDim(d) || d === dims[i]);
  if (!fits) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `input '${spec.name}' expects shape ${formatShape(spec.shape)} but the feed has dims ${formatShape(dims)}`,
      { field: spec.name, expected: [...spec.shape], actual: [...dims] },
    );
  }
}

/**
 * Turns dense feeds into onnxruntime tensors after checking that every model input is fed, no
 * unknown name is, and every shape fits (`MC_INVALID_ARGUMENT`, `MC_SHAPE_MISMATCH`).
 *
 * @example
 * const feeds = prepareFeeds(ort, sessionInputs(session), { input: { dims: [1, 1, 28, 28], data } });
 */
export function prepareFeeds(ort: OrtModule, inputs: readonly OrtValueSpec[], feeds: Record<string, DenseTensor>): Record<string, OrtTensor> {
  const known = new Set(inputs.map((i) => i.name));
  for (const name of Object.keys(feeds)) {
    if (!known.has(name)) {
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `the model has no input '${name}'; its inputs: ${[...known].join(', ') || '(none)'}`, {
        field: name,
      });
    }
  }
  const prepared: Record<string, OrtTensor> = {};
  for (const spec of inputs) {
    const feed = feeds[spec.name];
    if (!feed) {
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `no feed for model input '${spec.name}'`, { field: spec.name });
    }
    checkFeedShape(spec, feed.dims);
    prepared[spec.name] = toOrtTensor(ort, feed, spec.type, spec.name);
  }
  return prepared;
}

/**
 * Options for {@link randomFeeds}: the batch size substituted for a symbolic first dim, sizes for
 * other symbolic dims by name, or whole shapes by input name.
 */
export interface RandomFeedOptions {
  batchSize: number;
  /** Sizes of symbolic dims other than the batch dim, by symbol (e.g. `{ seq: 128 }`). */
  dims?: Record<string, number>;
  /** Full shapes by input name, overriding the model's declared shape. */
  shapes?: Record<string, readonly number[]>;
  /** Seed of the random values (default 0). */
  seed?: number;
}

/**
 * The concrete shape of an input for a batch size: a symbolic first dim becomes `batchSize`,
 * other symbolic dims come from `options.dims`. Throws `MC_SHAPE_MISMATCH` when the model fixes
 * a different batch size, and `MC_INVALID_ARGUMENT` when a dim cannot be decided.
 *
 * @example
 * concreteShape({ name: 'input', shape: ['N', 1, 28, 28] }, { batchSize: 64 }); // [64, 1, 28, 28]
 */
export function concreteShape(spec: OrtValueSpec, options: RandomFeedOptions): number[] {
  const override = options.shapes?.[spec.name];
  if (override) return [...override];
  if (!spec.shape) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `input '${spec.name}' has no declared shape; pass its shape in options.shapes`, {
      field: spec.name,
    });
  }
  return spec.shape.map((dim, axis) => {
    if (isFixedDim(dim)) {
      if (axis === 0 && dim !== options.batchSize) {
        throw new MetacompressError(
          ErrorCodes.SHAPE_MISMATCH,
          `input '${spec.name}' has a fixed batch size of ${dim} (shape ${formatShape(spec.shape!)}); cannot use batch size ${options.batchSize}`,
          { field: spec.name, expected: [...spec.shape!], batchSize: options.batchSize },
        );
      }
      return dim;
    }
    if (axis === 0) return options.batchSize;
    const named = typeof dim === 'string' && dim !== '' ? options.dims?.[dim] : undefined;
    if (named === undefined) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `input '${spec.name}' has a symbolic dim '${dim}' at axis ${axis} (shape ${formatShape(spec.shape!)}); give its size in options.dims`,
        { field: spec.name },
      );
    }
    return named;
  });
}

/**
 * Seeded random feeds for every input: uniform values in [0, 1) for float inputs, zeros for
 * integer and bool inputs (safe as indices).
 *
 * @example
 * const feeds = randomFeeds(ort, sessionInputs(session), { batchSize: 64 });
 */
export function randomFeeds(ort: OrtModule, inputs: readonly OrtValueSpec[], options: RandomFeedOptions): Record<string, OrtTensor> {
  const rng = createRng(options.seed ?? 0);
  const feeds: Record<string, OrtTensor> = {};
  for (const spec of inputs) {
    const dims = concreteShape(spec, options);
    const n = sizeOf(dims);
    const type = spec.type ?? 'float32';
    let tensor: OrtTensor;
    if (type === 'float32' || type === 'float64') {
      const data = type === 'float32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = rng.next();
      tensor = new ort.Tensor(type as 'float32', data as Float32Array, dims);
    } else if (type === 'float16') {
      const data = new Uint16Array(n);
      for (let i = 0; i < n; i++) data[i] = float32ToFloat16Bits(rng.next());
      tensor = new ort.Tensor('float16', data, dims);
    } else {
      tensor = toOrtTensor(ort, { dims, data: new Int32Array(n) }, type, spec.name);
    }
    feeds[spec.name] = tensor;
  }
  return feeds;
}
