import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { readNpyFile } from './npy';
import { formatShape } from './read-file';
import { createDataset, type ImageStorage, type Normalization, type TensorDataset } from './tensor-dataset';

/** Where an npy dataset lives and how to read it. */
export interface NpyDatasetOptions {
  /** Samples, `[N, ...sample]` (e.g. `x_train.npy`). */
  images: string;
  /** Labels, `[N]` integers (or integral floats), e.g. `y_train.npy`. */
  labels: string;
  /** Default: the images file name. */
  name?: string;
  /** Labels must lie in [0, numClasses); default: the largest label + 1. */
  numClasses?: number;
  classNames?: readonly string[];
  /**
   * How rank-3 samples store images: `hwc` (`[N, H, W, C]`), `chw` (`[N, C, H, W]`), or `none` (not
   * images). Default: guessed from which of the first and last dims looks like channels (1, 3 or 4;
   * the smaller one when both do; `none` when neither does or they are equal).
   * Rank-2 samples (`[N, H, W]`) are always one-channel images; rank-1 samples are never images.
   */
  imageStorage?: ImageStorage | 'none';
  normalization?: Normalization;
}

function guessStorage(sample: readonly number[]): ImageStorage | 'none' {
  const channelLike = (d: number) => d === 1 || d === 3 || d === 4;
  const first = channelLike(sample[0]);
  const last = channelLike(sample[2]);
  if (last && (!first || sample[2] < sample[0])) return 'hwc';
  if (first && (!last || sample[0] < sample[2])) return 'chw';
  return 'none';
}

/**
 * Loads samples and labels from two `.npy` files (see {@link readNpy} for the dtypes).
 *
 * @throws `MC_DATA_FORMAT`, `MC_UNSUPPORTED_DTYPE`, `MC_SHAPE_MISMATCH` (counts differ, labels not rank 1),
 *   `MC_EMPTY_DATASET`, `MC_LABEL_OUT_OF_RANGE`.
 * @example
 * const ds = await loadNpyDataset({ images: 'x_test.npy', labels: 'y_test.npy', numClasses: 10 });
 */
export async function loadNpyDataset(options: NpyDatasetOptions): Promise<TensorDataset> {
  const x = await readNpyFile(options.images);
  const y = await readNpyFile(options.labels);
  if (x.dims.length < 2) {
    throw new MetacompressError(ErrorCodes.SHAPE_MISMATCH, `samples file has shape ${formatShape(x.dims)}; expected [N, ...sample]`, { file: options.images });
  }
  if (y.dims.length !== 1) {
    throw new MetacompressError(ErrorCodes.SHAPE_MISMATCH, `labels file has shape ${formatShape(y.dims)}; expected [N]`, { file: options.labels });
  }
  const [count, ...sampleShape] = x.dims;
  if (y.dims[0] !== count) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `samples file '${options.images}' holds ${count} samples ${formatShape(x.dims)} but labels file '${options.labels}' holds ${y.dims[0]} labels`,
      { file: options.images, labelsFile: options.labels },
    );
  }
  if (count === 0) throw new MetacompressError(ErrorCodes.EMPTY_DATASET, 'the npy files hold no samples', { file: options.images });
  let image: { height: number; width: number; channels: number; storage: ImageStorage } | undefined;
  if (sampleShape.length === 2) image = { height: sampleShape[0], width: sampleShape[1], channels: 1, storage: 'hwc' };
  else if (sampleShape.length === 3) {
    const storage = options.imageStorage ?? guessStorage(sampleShape);
    if (storage === 'hwc') image = { height: sampleShape[0], width: sampleShape[1], channels: sampleShape[2], storage };
    else if (storage === 'chw') image = { height: sampleShape[1], width: sampleShape[2], channels: sampleShape[0], storage };
  }
  return createDataset({
    name: options.name ?? options.images.split(/[\\/]/).pop() ?? options.images,
    data: x.data,
    sampleShape,
    labels: y.data,
    numClasses: options.numClasses,
    classNames: options.classNames,
    image,
    normalization: options.normalization,
    file: options.labels,
  });
}
