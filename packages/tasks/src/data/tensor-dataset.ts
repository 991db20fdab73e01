import {
  ErrorCodes,
  MetacompressError,
  createRng,
  sizeOf,
  type BatchOptions,
  type Dataset,
  type ErrorDetails,
  type LabeledBatch,
} from '@metacompress/core';
import { formatShape } from './read-file';

/** Typed arrays a dataset keeps its raw sample values in. */
export type SourceArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** Size of the images a dataset holds. */
export interface ImageInfo {
  height: number;
  width: number;
  channels: number;
}

/** How raw image values are stored: channels last (`hwc`, as decoded images and idx files) or first (`chw`). */
export type ImageStorage = 'hwc' | 'chw';

/**
 * How a dataset lays out one sample: `nchw` → `[C, H, W]`, `nhwc` → `[H, W, C]`, `hw` → `[H, W]`
 * (one channel only), `flat` → `[C*H*W]` in channel-major (CHW) order, `custom` → any other shape
 * given to {@link TensorDataset.reshape} (row-major reinterpretation), or the raw shape of a non-image dataset.
 */
export type DatasetLayout = 'nchw' | 'nhwc' | 'hw' | 'flat' | 'custom';

/**
 * How raw values become model inputs: `x' = (x * scale - mean[c]) / std[c]`, with `c` the channel.
 * `mean`/`std` are a scalar or one value per channel.
 */
export interface Normalization {
  /** Multiplies raw values first; default 1/255 for uint8 sources, otherwise 1. */
  scale?: number;
  /** Subtracted after scaling; default 0. */
  mean?: number | readonly number[];
  /** Divides after subtracting the mean; default 1. */
  std?: number | readonly number[];
}

/** A normalization with every field filled in (per-channel arrays have length 1 or the channel count). */
export interface ResolvedNormalization {
  scale: number;
  mean: readonly number[];
  std: readonly number[];
}

/** Everything needed to build a {@link TensorDataset} from arrays in memory. */
export interface DatasetInit {
  /** Shown in reports and errors (e.g. `mnist/train`). */
  name: string;
  /** Raw sample values, sample after sample; int64 data is converted to float64. */
  data: SourceArray | BigInt64Array;
  /** Shape of one raw sample in `data`. */
  sampleShape: readonly number[];
  /** One class index per sample (integers). */
  labels: ArrayLike<number> | BigInt64Array;
  /** Default: the largest label + 1 (or the number of `classNames`). Labels must lie in [0, numClasses). */
  numClasses?: number;
  /** Optional names of the classes, indexed by label. */
  classNames?: readonly string[];
  /** When the samples are images: their size and how `data` stores them. Default layout is then `nchw`. */
  image?: ImageInfo & { storage: ImageStorage };
  normalization?: Normalization;
  /** File named in errors about labels (e.g. the labels file). */
  file?: string;
}

interface Source {
  data: SourceArray;
  sampleShape: readonly number[];
  sampleSize: number;
  labels: Int32Array;
  image?: ImageInfo & { storage: ImageStorage };
  file?: string;
}

interface View {
  name: string;
  numClasses: number;
  classNames?: readonly string[];
  indices: Int32Array | null;
  layout: DatasetLayout;
  sampleShape: readonly number[];
  /** Output element j of a sample reads raw element gather[j]; null for identity. */
  gather: Int32Array | null;
  normalization: ResolvedNormalization;
}

function invalid(reason: string, details: ErrorDetails = {}): MetacompressError {
  return new MetacompressError(ErrorCodes.INVALID_ARGUMENT, reason, details);
}

function toChannelArray(value: number | readonly number[], field: string, channels: number, dataset: string): number[] {
  const values = typeof value === 'number' ? [value] : [...value];
  if (values.length !== 1 && values.length !== channels) {
    throw invalid(`normalization '${field}' has ${values.length} values; dataset '${dataset}' has ${channels} channel(s)`, {
      field,
      dataset,
    });
  }
  for (const v of values) {
    if (!Number.isFinite(v)) throw invalid(`normalization '${field}' must be finite, got ${v}`, { field, dataset });
    if (field === 'std' && v <= 0) throw invalid(`normalization 'std' must be positive, got ${v}`, { field, dataset });
  }
  return values;
}

function layoutGather(image: ImageInfo & { storage: ImageStorage }, layout: Exclude<DatasetLayout, 'custom'>): Int32Array | null {
  const { height: H, width: W, channels: C } = image;
  if (C === 1) return null;
  const wantChannelsLast = layout === 'nhwc';
  if (wantChannelsLast === (image.storage === 'hwc')) return null;
  const gather = new Int32Array(H * W * C);
  const plane = H * W;
  if (wantChannelsLast) {
    // raw CHW → output HWC
    for (let p = 0; p < plane; p++) for (let c = 0; c < C; c++) gather[p * C + c] = c * plane + p;
  } else {
    // raw HWC → output CHW
    for (let c = 0; c < C; c++) for (let p = 0; p < plane; p++) gather[c * plane + p] = p * C + c;
  }
  return gather;
}

function layoutShape(image: ImageInfo, layout: Exclude<DatasetLayout, 'custom'>): number[] {
  const { height: H, width: W, channels: C } = image;
  switch (layout) {
    case 'nchw':
      return [C, H, W];
    case 'nhwc':
      return [H, W, C];
    case 'hw':
      return [H, W];
    default:
      return [C * H * W];
  }
}

/**
 * An in-memory labelled dataset: raw values shared between views, plus a view (subset of samples,
 * layout, normalization) that is applied while batching. Every method returns a new dataset and
 * never copies the raw values, so splits and layouts are cheap. Implements core's `Dataset`.
 *
 * @example
 * const ds = createDataset({ name: 'toy', data: new Uint8Array(8), sampleShape: [2, 2], labels: [0, 1], image: { height: 2, width: 2, channels: 1, storage: 'hwc' } });
 * for (const { inputs, labels } of ds.withLayout('flat').batches(2)) console.log(inputs.dims, labels); // [2, 4] Int32Array [0, 1]
 */
export class TensorDataset implements Dataset {
  readonly name: string;
  readonly length: number;
  readonly sampleShape: readonly number[];
  readonly numClasses: number;
  /** Class names indexed by label, when known. */
  readonly classNames: readonly string[] | undefined;
  /** How samples are laid out (see {@link DatasetLayout}). */
  readonly layout: DatasetLayout;
  /** Image size when the samples are images. */
  readonly image: ImageInfo | undefined;
  /** The normalization applied while batching. */
  readonly normalization: ResolvedNormalization;

  private readonly source: Source;
  private readonly view: View;
  private affine: { a: Float32Array; b: Float32Array; uniform: boolean } | undefined;

  /** @internal Use {@link createDataset} or a loader. */
  constructor(source: Source, view: View) {
    this.source = source;
    this.view = view;
    this.name = view.name;
    this.length = view.indices ? view.indices.length : source.labels.length;
    this.sampleShape = Object.freeze([...view.sampleShape]);
    this.numClasses = view.numClasses;
    this.classNames = view.classNames;
    this.layout = view.layout;
    this.image = source.image ? { height: source.image.height, width: source.image.width, channels: source.image.channels } : undefined;
    this.normalization = view.normalization;
  }

  /** Number of values in one sample. */
  get sampleSize(): number {
    return this.source.sampleSize;
  }

  /**
   * The class index of sample `i` (in this view's order).
   *
   * @example
   * mnist.labelAt(0); // 5
   */
  labelAt(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw invalid(`sample index ${i} is outside [0, ${this.length})`, { dataset: this.name });
    return this.source.labels[this.view.indices ? this.view.indices[i] : i];
  }

  /**
   * All labels in this view's order (a copy).
   *
   * @example
   * const y = ds.labels(); // Int32Array
   */
  labels(): Int32Array {
    const { indices } = this.view;
    if (!indices) return this.source.labels.slice();
    const out = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = this.source.labels[indices[i]];
    return out;
  }

  /**
   * How many samples each class has in this view.
   *
   * @example
   * mnist.classCounts(); // [5923, 6742, ...]
   */
  classCounts(): number[] {
    const counts = new Array<number>(this.numClasses).fill(0);
    const { indices } = this.view;
    const labels = this.source.labels;
    for (let i = 0; i < this.length; i++) counts[labels[indices ? indices[i] : i]]++;
    return counts;
  }

  /**
   * Iterates batches of normalized float32 inputs laid out as `[b, ...sampleShape]`, in order or
   * shuffled with `shuffleSeed` (same seed → same order). The result can be iterated many times.
   *
   * @example
   * for (const batch of ds.batches(64, { shuffleSeed: 1, limit: 1024, dropLast: true })) step(batch);
   */
  batches(batchSize: number, options: BatchOptions = {}): Iterable<LabeledBatch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(`batch size must be a positive integer, got ${batchSize}`, { field: 'batchSize', dataset: this.name });
    const { shuffleSeed, limit, dropLast = false } = options;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw invalid(`limit must be a non-negative integer, got ${limit}`, { field: 'limit', dataset: this.name });
    if (shuffleSeed !== undefined && !Number.isFinite(shuffleSeed)) throw invalid(`shuffleSeed must be a number, got ${shuffleSeed}`, { field: 'shuffleSeed', dataset: this.name });
    const count = Math.min(this.length, limit ?? this.length);
    return {
      [Symbol.iterator]: () => this.iterate(batchSize, count, shuffleSeed, dropLast),
    };
  }

  /**
   * Every sample (or the first `limit`, after an optional shuffle) as one batch.
   *
   * @example
   * const { inputs, labels } = ds.toBatch({ limit: 256 });
   */
  toBatch(options: { limit?: number; shuffleSeed?: number } = {}): LabeledBatch {
    const count = Math.min(this.length, options.limit ?? this.length);
    if (count === 0) return { inputs: { dims: [0, ...this.sampleShape], data: new Float32Array(0) }, labels: new Int32Array(0) };
    const [batch] = this.batches(count, { limit: count, shuffleSeed: options.shuffleSeed });
    return batch;
  }

  /**
   * The samples at the given positions of this view, in that order.
   *
   * @example
   * const firstHundred = ds.subset(Array.from({ length: 100 }, (_, i) => i));
   */
  subset(positions: ArrayLike<number>, name = `${this.name}[subset]`): TensorDataset {
    const out = new Int32Array(positions.length);
    const { indices } = this.view;
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i];
      if (!Number.isInteger(p) || p < 0 || p >= this.length) throw invalid(`subset position ${p} is outside [0, ${this.length})`, { dataset: this.name });
      out[i] = indices ? indices[p] : p;
    }
    return new TensorDataset(this.source, { ...this.view, name, indices: out });
  }

  /**
   * The same data under another name.
   *
   * @example
   * ds.withName('calibration');
   */
  withName(name: string): TensorDataset {
    return new TensorDataset(this.source, { ...this.view, name });
  }

  /**
   * Checks every label against a model's class count and returns the dataset with that count
   * (class names are dropped when their number differs).
   *
   * @throws `MC_LABEL_OUT_OF_RANGE` naming the dataset, the sample and the label.
   * @example
   * ds.withNumClasses(10);
   */
  withNumClasses(numClasses: number): TensorDataset {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw invalid(`numClasses must be a positive integer, got ${numClasses}`, { field: 'numClasses', dataset: this.name });
    const { indices } = this.view;
    const labels = this.source.labels;
    for (let i = 0; i < this.length; i++) {
      const label = labels[indices ? indices[i] : i];
      if (label >= numClasses) throw labelOutOfRange(this.name, this.source.file, indices ? indices[i] : i, label, numClasses);
    }
    const classNames = this.view.classNames?.length === numClasses ? this.view.classNames : undefined;
    return new TensorDataset(this.source, { ...this.view, numClasses, classNames });
  }

  /**
   * Replaces the given normalization fields (others keep their values).
   *
   * @example
   * mnist.normalize({ mean: 0.1307, std: 0.3081 }); // x' = (x/255 - 0.1307) / 0.3081
   */
  normalize(normalization: Normalization): TensorDataset {
    const current = this.view.normalization;
    const merged = resolveNormalization(
      {
        scale: normalization.scale ?? current.scale,
        mean: normalization.mean ?? current.mean,
        std: normalization.std ?? current.std,
      },
      this.source,
      this.name,
    );
    return new TensorDataset(this.source, { ...this.view, normalization: merged });
  }

  /**
   * Lays image samples out as `[C, H, W]` (`nchw`), `[H, W, C]` (`nhwc`), `[H, W]` (`hw`, one channel)
   * or `[C*H*W]` (`flat`, channel-major).
   *
   * @throws `MC_SHAPE_MISMATCH` when the dataset holds no images, or `hw` is asked of a multi-channel one.
   * @example
   * mnist.withLayout('flat').sampleShape; // [784]
   */
  withLayout(layout: Exclude<DatasetLayout, 'custom'>): TensorDataset {
    const image = this.source.image;
    if (!image) {
      throw new MetacompressError(ErrorCodes.SHAPE_MISMATCH, `dataset '${this.name}' holds samples of shape ${formatShape(this.sampleShape)}, not images; it has no '${layout}' layout (use reshape)`, {
        dataset: this.name,
        sampleShape: [...this.sampleShape],
      });
    }
    if (layout === 'hw' && image.channels !== 1) {
      throw new MetacompressError(ErrorCodes.SHAPE_MISMATCH, `dataset '${this.name}' has ${image.channels} channels; layout 'hw' needs one`, {
        dataset: this.name,
        sampleShape: [...this.sampleShape],
      });
    }
    return new TensorDataset(this.source, { ...this.view, layout, sampleShape: layoutShape(image, layout), gather: layoutGather(image, layout) });
  }

  /**
   * Reinterprets each sample (in its current layout, row-major) with another shape of the same size.
   *
   * @throws `MC_SHAPE_MISMATCH` when the sizes differ.
   * @example
   * npyDataset.reshape([1, 28, 28]); // [784] → [1, 28, 28]
   */
  reshape(sampleShape: readonly number[]): TensorDataset {
    for (const d of sampleShape) if (!Number.isInteger(d) || d < 1) throw invalid(`bad dimension ${d} in ${formatShape(sampleShape)}`, { dataset: this.name });
    if (sizeOf(sampleShape) !== this.source.sampleSize) {
      throw new MetacompressError(
        ErrorCodes.SHAPE_MISMATCH,
        `cannot reshape samples of dataset '${this.name}' from ${formatShape(this.sampleShape)} (${this.source.sampleSize} values) to ${formatShape(sampleShape)}`,
        { dataset: this.name, sampleShape: [...this.sampleShape] },
      );
    }
    return new TensorDataset(this.source, { ...this.view, layout: 'custom', sampleShape: [...sampleShape] });
  }

  private coefficients(): { a: Float32Array; b: Float32Array; uniform: boolean } {
    if (this.affine) return this.affine;
    const n = this.source.sampleSize;
    const { scale, mean, std } = this.view.normalization;
    const a = new Float32Array(n);
    const b = new Float32Array(n);
    const image = this.source.image;
    const gather = this.view.gather;
    let uniform = true;
    for (let j = 0; j < n; j++) {
      const raw = gather ? gather[j] : j;
      let c = 0;
      if (image && image.channels > 1) c = image.storage === 'hwc' ? raw % image.channels : Math.floor(raw / (image.height * image.width));
      const m = mean.length === 1 ? mean[0] : mean[c];
      const s = std.length === 1 ? std[0] : std[c];
      a[j] = scale / s;
      b[j] = -m / s;
      if (a[j] !== a[0] || b[j] !== b[0]) uniform = false;
    }
    this.affine = { a, b, uniform };
    return this.affine;
  }

  private *iterate(batchSize: number, count: number, shuffleSeed: number | undefined, dropLast: boolean): Generator<LabeledBatch> {
    const total = this.length;
    let order: Int32Array | null = this.view.indices;
    if (shuffleSeed !== undefined) {
      const shuffled = order ? order.slice() : Int32Array.from({ length: total }, (_, i) => i);
      const rng = createRng(shuffleSeed);
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const t = shuffled[i];
        shuffled[i] = shuffled[j];
        shuffled[j] = t;
      }
      order = shuffled;
    }
    const { data, labels, sampleSize } = this.source;
    const { gather } = this.view;
    const { a, b, uniform } = this.coefficients();
    const a0 = a[0];
    const b0 = b[0];
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      if (size < batchSize && dropLast) return;
      const inputs = new Float32Array(size * sampleSize);
      const batchLabels = new Int32Array(size);
      for (let k = 0; k < size; k++) {
        const index = order ? order[start + k] : start + k;
        batchLabels[k] = labels[index];
        const src = index * sampleSize;
        const dst = k * sampleSize;
        if (gather) {
          for (let j = 0; j < sampleSize; j++) inputs[dst + j] = data[src + gather[j]] * a[j] + b[j];
        } else if (uniform) {
          for (let j = 0; j < sampleSize; j++) inputs[dst + j] = data[src + j] * a0 + b0;
        } else {
          for (let j = 0; j < sampleSize; j++) inputs[dst + j] = data[src + j] * a[j] + b[j];
        }
      }
      yield { inputs: { dims: [size, ...this.view.sampleShape], data: inputs }, labels: batchLabels };
    }
  }
}

function labelOutOfRange(dataset: string, file: string | undefined, index: number, label: number, numClasses: number): MetacompressError {
  return new MetacompressError(
    ErrorCodes.LABEL_OUT_OF_RANGE,
    `label ${label} of sample ${index} in dataset '${dataset}' is outside [0, ${numClasses})`,
    { ...(file ? { file } : {}), dataset, index, label, numClasses },
  );
}

function resolveNormalization(n: Normalization, source: Source, dataset: string): ResolvedNormalization {
  const channels = source.image?.channels ?? 1;
  const scale = n.scale ?? (source.data instanceof Uint8Array ? 1 / 255 : 1);
  if (!Number.isFinite(scale) || scale === 0) throw invalid(`normalization 'scale' must be finite and non-zero, got ${scale}`, { field: 'scale', dataset });
  return Object.freeze({
    scale,
    mean: Object.freeze(toChannelArray(n.mean ?? 0, 'mean', channels, dataset)),
    std: Object.freeze(toChannelArray(n.std ?? 1, 'std', channels, dataset)),
  });
}

/**
 * Builds a {@link TensorDataset} from arrays in memory, checking sizes and labels. Image datasets
 * start in the `nchw` layout; others keep their raw sample shape (`custom`).
 *
 * @throws `MC_SHAPE_MISMATCH` when data and labels disagree on the sample count;
 *   `MC_LABEL_OUT_OF_RANGE` for a label outside [0, numClasses); `MC_DATA_FORMAT` for a non-integer label.
 * @example
 * const ds = createDataset({ name: 'xor', data: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), sampleShape: [2], labels: [0, 1, 1, 0] });
 */
export function createDataset(init: DatasetInit): TensorDataset {
  const { name, file } = init;
  const where = { ...(file ? { file } : {}), dataset: name };
  for (const d of init.sampleShape) {
    if (!Number.isInteger(d) || d < 1) throw invalid(`bad sample dimension ${d} in ${formatShape(init.sampleShape)}`, where);
  }
  const sampleSize = sizeOf(init.sampleShape);
  const data: SourceArray = init.data instanceof BigInt64Array ? Float64Array.from(init.data, (v) => Number(v)) : init.data;
  const n = init.labels.length;
  if (data.length !== n * sampleSize) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `dataset '${name}' has ${n} labels but its data holds ${data.length / sampleSize} samples of shape ${formatShape(init.sampleShape)}` +
        ` (${data.length} values)`,
      where,
    );
  }
  const labels = new Int32Array(n);
  let max = -1;
  for (let i = 0; i < n; i++) {
    const raw = init.labels[i];
    const label = typeof raw === 'bigint' ? Number(raw) : raw;
    if (!Number.isInteger(label)) {
      throw new MetacompressError(ErrorCodes.DATA_FORMAT, `label ${label} of sample ${i} in dataset '${name}' is not an integer`, { ...where, index: i });
    }
    if (label < 0 || (init.numClasses !== undefined && label >= init.numClasses)) {
      throw labelOutOfRange(name, file, i, label, init.numClasses ?? max + 1);
    }
    labels[i] = label;
    if (label > max) max = label;
  }
  const numClasses = init.numClasses ?? Math.max(max + 1, init.classNames?.length ?? 0);
  if (!Number.isInteger(numClasses) || numClasses < 0) throw invalid(`numClasses must be a positive integer, got ${numClasses}`, { ...where, field: 'numClasses' });
  if (init.classNames && init.classNames.length !== numClasses) {
    throw invalid(`dataset '${name}' has ${init.classNames.length} class names for ${numClasses} classes`, { ...where, field: 'classNames' });
  }
  const image = init.image;
  if (image && image.height * image.width * image.channels !== sampleSize) {
    throw invalid(`image size ${image.height}x${image.width}x${image.channels} does not match the sample shape ${formatShape(init.sampleShape)}`, where);
  }
  const source: Source = { data, sampleShape: [...init.sampleShape], sampleSize, labels, image, file };
  const normalization = resolveNormalization(init.normalization ?? {}, source, name);
  const view: View = {
    name,
    numClasses,
    classNames: init.classNames ? Object.freeze([...init.classNames]) : undefined,
    indices: null,
    layout: image ? 'nchw' : 'custom',
    sampleShape: image ? layoutShape(image, 'nchw') : [...init.sampleShape],
    gather: image ? layoutGather(image, 'nchw') : null,
    normalization,
  };
  return new TensorDataset(source, view);
}
