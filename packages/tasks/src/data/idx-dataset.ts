import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { IDX_MAGIC_LABELS, describeIdxMagic, readIdxFile } from './idx';
import { formatShape } from './read-file';
import { createDataset, type Normalization, type TensorDataset } from './tensor-dataset';

/** Where an idx dataset lives and how to label it. */
export interface IdxDatasetOptions {
  /** Images file, e.g. `train-images-idx3-ubyte` (optionally gzipped). */
  images: string;
  /** Labels file, e.g. `train-labels-idx1-ubyte` (optionally gzipped). */
  labels: string;
  /** Default: the images file name. */
  name?: string;
  /** Labels must lie in [0, numClasses); default: the largest label + 1. */
  numClasses?: number;
  classNames?: readonly string[];
  normalization?: Normalization;
}

/**
 * Loads an images + labels pair of idx files. Images of rank 3 (`[N, H, W]`, e.g. magic 0x00000803)
 * become one-channel images; other ranks keep their raw sample shape. Labels must be a rank-1 integer
 * file (e.g. magic 0x00000801).
 *
 * @throws `MC_DATA_FORMAT` (bad magic, truncated file, labels of the wrong rank or type),
 *   `MC_SHAPE_MISMATCH` (images and labels counts differ), `MC_EMPTY_DATASET`, `MC_LABEL_OUT_OF_RANGE`.
 * @example
 * const ds = await loadIdxDataset({ images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' });
 */
export async function loadIdxDataset(options: IdxDatasetOptions): Promise<TensorDataset> {
  const images = await readIdxFile(options.images);
  const labels = await readIdxFile(options.labels);
  if (images.dims.length < 2) {
    throw new MetacompressError(
      ErrorCodes.DATA_FORMAT,
      `expected an images file (rank 2 or more, e.g. magic ${describeIdxMagic(0x803)}), found magic ${describeIdxMagic(images.magic)}`,
      { file: options.images },
    );
  }
  const integerLabels = labels.data instanceof Uint8Array || labels.data instanceof Int8Array || labels.data instanceof Int16Array || labels.data instanceof Int32Array;
  if (labels.dims.length !== 1 || !integerLabels) {
    throw new MetacompressError(
      ErrorCodes.DATA_FORMAT,
      `expected a labels file (integers of rank 1, e.g. magic ${describeIdxMagic(IDX_MAGIC_LABELS)}), found magic ${describeIdxMagic(labels.magic)}`,
      { file: options.labels },
    );
  }
  const [count, ...sampleShape] = images.dims;
  if (labels.dims[0] !== count) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `images file '${options.images}' holds ${count} samples ${formatShape(images.dims)} but labels file '${options.labels}' holds ${labels.dims[0]} labels`,
      { file: options.images, labelsFile: options.labels },
    );
  }
  if (count === 0) throw new MetacompressError(ErrorCodes.EMPTY_DATASET, 'the idx files hold no samples', { file: options.images });
  return createDataset({
    name: options.name ?? options.images.split(/[\\/]/).pop() ?? options.images,
    data: images.data,
    sampleShape,
    labels: labels.data,
    numClasses: options.numClasses,
    classNames: options.classNames,
    image: sampleShape.length === 2 ? { height: sampleShape[0], width: sampleShape[1], channels: 1, storage: 'hwc' } : undefined,
    normalization: options.normalization,
    file: options.labels,
  });
}
