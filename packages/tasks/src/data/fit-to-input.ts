import { ErrorCodes, MetacompressError, sizeOf } from '@metacompress/core';
import type { Dim } from '@metacompress/ir';
import { formatShape } from './read-file';
import type { DatasetLayout, ImageInfo, TensorDataset } from './tensor-dataset';

/** Options of {@link fitToInput}. */
export interface FitToInputOptions {
  /** The model input's name, quoted in errors. */
  inputName?: string;
  /** Which 4-d layout wins when both fit (e.g. `['N', 'C', 'H', 'W']` fully symbolic). Default `nchw`. */
  prefer?: 'nchw' | 'nhwc';
}

type ImageLayout = Exclude<DatasetLayout, 'custom'>;

function isWildcard(d: Dim): boolean {
  return d === null || typeof d === 'string' || d < 0;
}

function fits(want: readonly Dim[], shape: readonly number[]): boolean {
  return want.length === shape.length && want.every((d, i) => isWildcard(d) || d === shape[i]);
}

function squeeze(dims: readonly number[]): string {
  return dims.filter((d) => d !== 1).join(',');
}

function imageShape(image: ImageInfo, layout: ImageLayout): number[] {
  const { height: H, width: W, channels: C } = image;
  if (layout === 'nchw') return [C, H, W];
  if (layout === 'nhwc') return [H, W, C];
  if (layout === 'hw') return [H, W];
  return [C * H * W];
}

/**
 * Lays a dataset out to fit a model input shape such as `['N', 1, 28, 28]` (NCHW), `['N', 784]`
 * (flat), `['N', 28, 28, 1]` (NHWC) or `['N', 28, 28]`. The first dim is the batch and is ignored;
 * strings, `null` and negative dims match any size. Image datasets try `nchw`, `nhwc`, `hw`, `flat`
 * in that order (`prefer: 'nhwc'` swaps the first two); when none fits exactly but the model shape is
 * concrete and equals one of them up to dims of size 1 (e.g. `[N, 1, 784]`), that layout is reshaped.
 * Other datasets fit when their sample shape matches, or are reshaped row-major when the model shape
 * is concrete, has the same size, and one of the two shapes is flat (e.g. npy `[784]` into `[N, 1, 28, 28]`).
 * Channels are never invented: a 1-channel dataset does not fit a 3-channel input.
 *
 * @throws `MC_SHAPE_MISMATCH` naming the dataset, its sample shape and the model input shape.
 * @example
 * fitToInput(mnist, ['N', 784]).sampleShape; // [784]
 * fitToInput(mnist, ['batch', 28, 28, 1]).layout; // 'nhwc'
 */
export function fitToInput(dataset: TensorDataset, inputShape: readonly Dim[], options: FitToInputOptions = {}): TensorDataset {
  const want = inputShape.slice(1);
  const mismatch = (why: string): MetacompressError =>
    new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `dataset '${dataset.name}' has samples of shape ${formatShape(dataset.sampleShape)}` +
        (dataset.image ? ` (images ${dataset.image.height}x${dataset.image.width}, ${dataset.image.channels} channel(s))` : '') +
        ` that do not fit the model input${options.inputName ? ` '${options.inputName}'` : ''} ${formatShape(inputShape)}: ${why}`,
      {
        dataset: dataset.name,
        sampleShape: [...dataset.sampleShape],
        inputShape: [...inputShape],
        ...(options.inputName ? { field: options.inputName } : {}),
      },
    );
  if (inputShape.length < 2) throw mismatch('the model input needs a batch dimension and at least one sample dimension');
  const concrete = want.every((d) => !isWildcard(d));
  const image = dataset.image;
  if (image) {
    const order: ImageLayout[] = options.prefer === 'nhwc' ? ['nhwc', 'nchw', 'hw', 'flat'] : ['nchw', 'nhwc', 'hw', 'flat'];
    const candidates = order.filter((l) => l !== 'hw' || image.channels === 1);
    for (const layout of candidates) {
      if (fits(want, imageShape(image, layout))) return dataset.layout === layout ? dataset : dataset.withLayout(layout);
    }
    if (concrete) {
      const target = want as number[];
      for (const layout of candidates) {
        if (squeeze(target) === squeeze(imageShape(image, layout))) return dataset.withLayout(layout).reshape(target);
      }
    }
    throw mismatch(`no layout of ${image.height}x${image.width}x${image.channels} images (nchw, nhwc, hw, flat) has that shape`);
  }
  if (fits(want, dataset.sampleShape)) return dataset;
  if (concrete) {
    const target = want as number[];
    const sameSize = sizeOf(target) === dataset.sampleSize;
    if (sameSize && (target.length === 1 || dataset.sampleShape.length === 1 || squeeze(target) === squeeze(dataset.sampleShape))) {
      return dataset.reshape(target);
    }
    if (!sameSize) throw mismatch(`a sample has ${dataset.sampleSize} values, the input needs ${sizeOf(target)}`);
  }
  throw mismatch('the shapes differ');
}
