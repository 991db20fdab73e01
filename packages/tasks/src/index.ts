/**
 * @packageDocumentation
 * Datasets (MNIST, Fashion-MNIST, idx, npy, image folders), the model zoo and the meta-task sampler of Metacompress.
 */
export {};

// Data: datasets and loaders.
export {
  createDataset,
  TensorDataset,
  type DatasetInit,
  type DatasetLayout,
  type ImageInfo,
  type ImageStorage,
  type Normalization,
  type ResolvedNormalization,
  type SourceArray,
} from './data/tensor-dataset';
export { splitDataset, type DatasetSplit, type SplitOptions } from './data/split';
export { fitToInput, type FitToInputOptions } from './data/fit-to-input';
export { IDX_MAGIC_IMAGES, IDX_MAGIC_LABELS, describeIdxMagic, readIdx, readIdxFile, writeIdx, type IdxArray } from './data/idx';
export { readNpy, readNpyFile, writeNpy, type NpyArray, type NpyDtype } from './data/npy';
export { MAX_IMAGE_PIXELS, decodeImage, isGray, toGrayscale, toRgb, type RgbaImage } from './data/image-decode';
export { loadIdxDataset, type IdxDatasetOptions } from './data/idx-dataset';
export { loadNpyDataset, type NpyDatasetOptions } from './data/npy-dataset';
export { IMAGE_EXTENSIONS, loadImageFolder, type ImageColor, type ImageFolderOptions } from './data/image-folder';
export { MNIST_CLASSES, MNIST_STATS, clearMnistCache, loadMnist, mnistFiles, type DatasetSplitName, type MnistOptions } from './data/mnist';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_ORDER_SEED,
  FASHION_MNIST_STATS,
  FASHION_MNIST_TEST_PER_CLASS,
  clearFashionMnistCache,
  fashionMnistDir,
  loadFashionMnist,
  parseFashionMnistClass,
  type FashionMnistClass,
  type FashionMnistOptions,
} from './data/fashion-mnist';
export { resolveDataset, type DatasetSpec, type ResolveDatasetOptions } from './data/resolve-dataset';
export { packageDir } from './data/package-dir';
export { formatShape, readDataFile } from './data/read-file';
