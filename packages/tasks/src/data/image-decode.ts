import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ErrorCodes, MetacompressError } from '@metacompress/core';

/** A decoded image: 8-bit RGBA pixels, row after row. */
export interface RgbaImage {
  width: number;
  height: number;
  /** `width * height * 4` bytes: R, G, B, A per pixel. */
  data: Uint8Array;
}

/** Default cap on decoded pixels per image (guards against huge headers). */
export const MAX_IMAGE_PIXELS = 50_000_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Decodes a PNG (with pngjs; 16-bit samples are scaled to 8 bits, palettes expanded) or a baseline /
 * progressive JPEG (with jpeg-js) to 8-bit RGBA. The format is told by the file's signature, not its name.
 * Images over `maxPixels` are refused before any pixel buffer is allocated.
 *
 * @throws `MC_DATA_FORMAT` naming the file when the bytes are neither PNG nor JPEG, or are corrupt.
 * @example
 * const { width, height, data } = decodeImage(await readFile('cat.png'), { file: 'cat.png' });
 */
export function decodeImage(bytes: Uint8Array, options: { file?: string; maxPixels?: number } = {}): RgbaImage {
  const { file } = options;
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  const where = file ? { file } : {};
  if (isPng(bytes)) {
    if (bytes.length >= 24) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const width = view.getUint32(16, false);
      const height = view.getUint32(20, false);
      if (width * height > maxPixels) {
        throw new MetacompressError(ErrorCodes.TENSOR_TOO_LARGE, `PNG of ${width}x${height} pixels is over the limit of ${maxPixels}`, where);
      }
    }
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (error) {
      throw new MetacompressError(ErrorCodes.DATA_FORMAT, `corrupt PNG: ${(error as Error).message}`, where, { cause: error });
    }
  }
  if (isJpeg(bytes)) {
    try {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6 });
      return { width: image.width, height: image.height, data: image.data };
    } catch (error) {
      throw new MetacompressError(ErrorCodes.DATA_FORMAT, `corrupt JPEG: ${(error as Error).message}`, where, { cause: error });
    }
  }
  throw new MetacompressError(ErrorCodes.DATA_FORMAT, 'not a PNG or JPEG image (unknown file signature)', where);
}

/**
 * Converts RGBA pixels to one luma byte per pixel with ITU-R BT.601 weights, rounded exactly as
 * Pillow's `convert('L')` does: `(R*19595 + G*38470 + B*7471 + 0x8000) >> 16`. Alpha is ignored.
 *
 * @example
 * toGrayscale(new Uint8Array([255, 0, 0, 255])); // Uint8Array [76]
 */
export function toGrayscale(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgba.length >> 2);
  for (let i = 0, j = 0; j < out.length; i += 4, j++) {
    out[j] = (rgba[i] * 19595 + rgba[i + 1] * 38470 + rgba[i + 2] * 7471 + 0x8000) >> 16;
  }
  return out;
}

/**
 * Drops the alpha channel: RGBA to interleaved RGB (HWC).
 *
 * @example
 * toRgb(new Uint8Array([1, 2, 3, 255])); // Uint8Array [1, 2, 3]
 */
export function toRgb(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgba.length >> 2) * 3);
  for (let i = 0, j = 0; j < out.length; i += 4, j += 3) {
    out[j] = rgba[i];
    out[j + 1] = rgba[i + 1];
    out[j + 2] = rgba[i + 2];
  }
  return out;
}

/**
 * True when every pixel has R = G = B (a grayscale picture stored as color).
 *
 * @example
 * isGray(new Uint8Array([9, 9, 9, 255])); // true
 */
export function isGray(rgba: Uint8Array): boolean {
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false;
  }
  return true;
}
