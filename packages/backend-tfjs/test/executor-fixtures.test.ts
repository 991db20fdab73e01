// Issue 4 acceptance: the executor and onnxruntime-web agree (max abs diff ≤ 1e-4) on the
// PyTorch-exported MNIST fixtures, BN folded and kept, on real MNIST test images.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '@metacompress/tasks';
import { buildExecutor } from '../src/base';
import { FIXTURES, compareWithOrt, fixture, maxAbsDiff, tfjs } from './executor-helpers';

interface ManifestEntry {
  input: { name: string; shape: (number | string)[] };
  sampleLogits: number[][];
  batchNorm: string;
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as {
  files: Record<string, ManifestEntry>;
};
const files = Object.keys(manifest.files).sort();
const BATCH = 16;

async function mnistBatch(flat: boolean) {
  const test = await loadMnist({ split: 'test' });
  const [batch] = test.batches(BATCH, { limit: BATCH });
  return { dims: flat ? [BATCH, 784] : [BATCH, 1, 28, 28], data: batch!.inputs.data };
}

describe('executor vs onnxruntime-web on the MNIST fixtures', () => {
  it('covers LeNet-5, VGG-BN, ResNet and MobileNetV2 with BN folded and kept', () => {
    for (const f of [
      'lenet5.onnx',
      'vgg_bn.onnx',
      'vgg_bn-bn.onnx',
      'resnet.onnx',
      'resnet-bn.onnx',
      'mobilenetv2.onnx',
      'mobilenetv2-bn.onnx',
    ])
      expect(files).toContain(f);
  });

  it.each(files)('%s: max abs diff ≤ 1e-4 on 16 test images, and the PyTorch logits', async (file) => {
    const entry = manifest.files[file]!;
    const graph = await fixture(file);
    const x = await mnistBatch(entry.input.shape.length === 2);
    const { maxDiff, tfjs: out, shapes } = await compareWithOrt(graph, { [entry.input.name]: x });
    expect(shapes[graph.outputs[0]!.name]).toEqual([BATCH, 10]);
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    // The first four images' logits as PyTorch computed them (rounded to 6 decimals in the manifest).
    const logits = out[graph.outputs[0]!.name]!;
    expect(maxAbsDiff(logits.subarray(0, 40), entry.sampleLogits.flat())).toBeLessThanOrEqual(1e-4);
  });

  it('runs the kept-BN graphs without folding them: the BN weights are variables', async () => {
    const { tf } = await tfjs();
    const exec = buildExecutor(await fixture('resnet-bn.onnx'), { tf });
    try {
      expect(exec.variables.has('stem.1.running_mean')).toBe(true);
      // Running statistics are weights but never trainable; BN scale and bias are.
      expect(exec.trainableNames).not.toContain('stem.1.running_mean');
      expect(exec.trainableNames).toContain('stem.1.weight');
    } finally {
      exec.dispose();
    }
  });
});
