import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { decodeImage, isGray, toGrayscale, toRgb } from './image-decode';
import { readDataFile, statFolder } from './read-file';
import { createDataset, type Normalization, type TensorDataset } from './tensor-dataset';

/** Which channels an image folder keeps: `grayscale` (1), `rgb` (3), or `auto` (1 when every image is gray). */
export type ImageColor = 'auto' | 'grayscale' | 'rgb';

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Default: the folder's name. */
  name?: string;
  /** Default `auto`: one channel when every pixel of every image has R = G = B, else RGB. Alpha is dropped. */
  color?: ImageColor;
  /** Labels must lie in [0, numClasses); default: the number of class folders. */
  numClasses?: number;
  /** Refuse any image with more pixels (default {@link MAX_IMAGE_PIXELS}). */
  maxPixels?: number;
  normalization?: Normalization;
}

/** File name endings read as images (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return !name.startsWith('.') && IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * Loads a folder of images per class, `root/<class>/*.png|jpg|jpeg`, like torchvision's
 * `ImageFolder`: classes are the sub-folder names sorted by code units (label = position), files are
 * sorted the same way; hidden entries and other file types are skipped. Every image must have the
 * same width and height (nothing is resized). Grayscale uses Pillow's `convert('L')` weights.
 *
 * @throws `MC_FILE_NOT_FOUND`/`MC_NOT_A_FILE` for a bad root, `MC_EMPTY_DATASET` when there is no
 *   class folder or a class folder has no image, `MC_SHAPE_MISMATCH` naming two images of different
 *   sizes, `MC_DATA_FORMAT` naming a corrupt image.
 * @example
 * const ds = await loadImageFolder('calib', { color: 'grayscale' }); // calib/0/a.png, calib/1/b.png, …
 * ds.classNames; // ['0', '1', …]
 */
export async function loadImageFolder(root: string, options: ImageFolderOptions = {}): Promise<TensorDataset> {
  await statFolder(root);
  const entries = await readdir(root);
  const classes: string[] = [];
  for (const entry of entries.sort(byCodeUnits)) {
    if (!entry.startsWith('.') && (await isDirectory(join(root, entry)))) classes.push(entry);
  }
  if (classes.length === 0) {
    const loose = entries.filter(isImageName).length;
    throw new MetacompressError(
      ErrorCodes.EMPTY_DATASET,
      `image folder has no class sub-folders (expected <root>/<class>/*.png|jpg${loose ? `; found ${loose} images directly in the root, move them into one folder per class` : ''})`,
      { file: root },
    );
  }
  const color = options.color ?? 'auto';
  const pixels: Uint8Array[] = [];
  const labels: number[] = [];
  let allGray = true;
  let first: { file: string; width: number; height: number } | undefined;
  for (let label = 0; label < classes.length; label++) {
    const folder = join(root, classes[label]);
    const files = (await readdir(folder)).filter(isImageName).sort(byCodeUnits);
    let found = 0;
    for (const name of files) {
      const file = join(folder, name);
      if (!(await stat(file)).isFile()) continue;
      const image = decodeImage(await readDataFile(file), { file, maxPixels: options.maxPixels });
      if (!first) first = { file, width: image.width, height: image.height };
      else if (image.width !== first.width || image.height !== first.height) {
        throw new MetacompressError(
          ErrorCodes.SHAPE_MISMATCH,
          `image '${file}' is ${image.width}x${image.height} but '${first.file}' is ${first.width}x${first.height}; every image must have the same size (nothing is resized)`,
          { file },
        );
      }
      if (color === 'grayscale') pixels.push(toGrayscale(image.data));
      else {
        if (allGray && color === 'auto' && !isGray(image.data)) allGray = false;
        pixels.push(toRgb(image.data));
      }
      labels.push(label);
      found++;
    }
    if (found === 0) {
      throw new MetacompressError(ErrorCodes.EMPTY_DATASET, `class folder '${classes[label]}' has no .png/.jpg/.jpeg images`, { file: folder });
    }
  }
  const { width, height } = first!;
  const channels = color === 'grayscale' || (color === 'auto' && allGray) ? 1 : 3;
  const plane = width * height;
  const data = new Uint8Array(labels.length * plane * channels);
  pixels.forEach((p, i) => {
    if (channels === 1 && p.length !== plane) {
      // auto mode found every image gray: R = G = B, and Pillow's luma of (v, v, v) is v.
      for (let j = 0; j < plane; j++) data[i * plane + j] = p[j * 3];
    } else data.set(p, i * plane * channels);
  });
  return createDataset({
    name: options.name ?? basename(root),
    data,
    sampleShape: [height, width, channels],
    labels,
    numClasses: options.numClasses ?? classes.length,
    classNames: options.numClasses === undefined || options.numClasses === classes.length ? classes : undefined,
    image: { height, width, channels, storage: 'hwc' },
    normalization: options.normalization,
    file: root,
  });
}
