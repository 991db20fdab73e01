import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendRegistry, isMetacompressError } from '@metacompress/core';
import { createOrtBackend, createOrtNodeBackend, createOrtWebBackend, type OrtBackend } from './ort-backend';
import { loadOrtWeb } from './ort-module';
import { ORT_NODE, ORT_WEB, registerOrtBackends } from './registration';
import { arrayDataset, lenetPath, manifestPath, maxAbsDiff, mnistTest, readTensorProto } from './test-helpers';

const lenet = new Uint8Array(readFileSync(lenetPath));
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
  files: Record<string, { sampleLogits: number[][]; sampleLabels: number[]; torchAccuracy: number }>;
};
const mnist = mnistTest(256);
const imagesOf = (n: number) => ({ dims: [n, 1, 28, 28], data: mnist.images.slice(0, n * 784) });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

let web: OrtBackend;
beforeAll(async () => {
  web = await createOrtWebBackend();
});
afterAll(async () => {
  await web.dispose();
});

describe('run', () => {
  it('reproduces the PyTorch logits of the LeNet-5 fixture', async () => {
    const { logits } = await web.run(lenet, { input: imagesOf(4) });
    expect(logits.dims).toEqual([4, 10]);
    const expected = manifest.files['lenet5.onnx'].sampleLogits.flat();
    expect(maxAbsDiff(logits.data as Float32Array, expected)).toBeLessThan(1e-4);
  });

  it('matches the expected output of an ONNX test-data model', async () => {
    const dir = '/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding';
    const model = new Uint8Array(readFileSync(`${dir}/model.onnx`));
    const inputs = await web.inputs(model);
    const feeds = Object.fromEntries(inputs.map((spec, i) => [spec.name, readTensorProto(`${dir}/test_data_set_0/input_${i}.pb`)]));
    const outputs = await web.run(model, feeds);
    const expected = readTensorProto(`${dir}/test_data_set_0/output_0.pb`);
    const [name] = Object.keys(outputs);
    expect(outputs[name].dims).toEqual(expected.dims);
    expect(maxAbsDiff(outputs[name].data as Float32Array, expected.data)).toBeLessThan(1e-5);
  });

  it('returns intermediate values, inputs and outputs on request', async () => {
    const feed = imagesOf(3);
    const plain = await web.run(lenet, { input: feed });
    const probed = await web.run(lenet, { input: feed }, { outputs: ['/Flatten_output_0', '/conv1/Conv_output_0', 'logits', 'input'] });
    expect(Object.keys(probed).sort()).toEqual(['/Flatten_output_0', '/conv1/Conv_output_0', 'input', 'logits']);
    expect(probed['/Flatten_output_0'].dims).toEqual([3, 400]);
    expect(probed['/conv1/Conv_output_0'].dims).toEqual([3, 6, 28, 28]);
    // Flatten follows ReLU and max-pooling: nothing negative; the conv output before ReLU has negatives.
    expect(Math.min(...(probed['/Flatten_output_0'].data as Float32Array))).toBeGreaterThanOrEqual(0);
    expect(Math.min(...(probed['/conv1/Conv_output_0'].data as Float32Array))).toBeLessThan(0);
    expect(maxAbsDiff(probed.logits.data as Float32Array, plain.logits.data as Float32Array)).toBeLessThan(1e-6);
    expect(probed.input).toBe(feed);
  });

  it('reuses one session per model', async () => {
    const backend = createOrtBackend(web.ort, 'web', { name: 'cache-probe', maxSessions: 1 });
    const a = await backend.run(lenet, { input: imagesOf(2) });
    const copy = lenet.slice();
    const b = await backend.run(copy, { input: imagesOf(2) }, { outputs: ['/Relu_output_0', 'logits'] });
    const c = await backend.run(lenet, { input: imagesOf(2) });
    expect(maxAbsDiff(a.logits.data as Float32Array, b.logits.data as Float32Array)).toBe(0);
    expect(maxAbsDiff(a.logits.data as Float32Array, c.logits.data as Float32Array)).toBe(0);
    await backend.dispose();
  });

  it('rejects bytes onnxruntime cannot load with MC_BACKEND_FAILED naming the backend', async () => {
    const error = await rejection(web.run(new Uint8Array([8, 7, 1, 2, 3, 255, 255]), {}));
    expect(isMetacompressError(error, 'MC_BACKEND_FAILED')).toBe(true);
    expect((error as Error).message).toContain("backend 'ort-web'");
    expect((error as Error).message).toMatch(/protobuf|parse|load/i);
  });

  it('rejects feeds of the wrong shape with MC_SHAPE_MISMATCH naming the input and both shapes', async () => {
    const error = await rejection(web.run(lenet, { input: { dims: [1, 784], data: new Float32Array(784) } }));
    expect(isMetacompressError(error, 'MC_SHAPE_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain("'input'");
    expect((error as Error).message).toContain('[N, 1, 28, 28]');
    expect((error as Error).message).toContain('[1, 784]');
    const short = await rejection(web.run(lenet, { input: { dims: [1, 1, 28, 28], data: new Float32Array(100) } }));
    expect(isMetacompressError(short, 'MC_SHAPE_MISMATCH')).toBe(true);
  });

  it('rejects missing and unknown feeds', async () => {
    expect(isMetacompressError(await rejection(web.run(lenet, {})), 'MC_INVALID_ARGUMENT')).toBe(true);
    const extra = await rejection(web.run(lenet, { input: imagesOf(1), other: imagesOf(1) }));
    expect(isMetacompressError(extra, 'MC_INVALID_ARGUMENT')).toBe(true);
    expect((extra as Error).message).toContain("'other'");
  });

  it('reports an unknown intermediate name as an error', async () => {
    const error = await rejection(web.run(lenet, { input: imagesOf(1) }, { outputs: ['no-such-value'] }));
    expect(isMetacompressError(error)).toBe(true);
    expect((error as Error).message).toContain('no-such-value');
  });
});

describe('evaluate', () => {
  it('scores 1 when labels are the model’s own argmax and low when they are permuted', async () => {
    const n = 200;
    const { logits } = await web.run(lenet, { input: imagesOf(n) });
    const scores = logits.data as Float32Array;
    const own = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const row = Array.from(scores.subarray(i * 10, i * 10 + 10));
      own[i] = row.indexOf(Math.max(...row));
    }
    const images = mnist.images.slice(0, n * 784);
    const exact = await web.evaluate(lenet, arrayDataset('own', images, own, [1, 28, 28], 10), { batchSize: 64 });
    expect(exact.accuracy).toBe(1);
    expect(exact.samples).toBe(n);
    const shifted = own.map((l) => (l + 1) % 10);
    const wrong = await web.evaluate(lenet, arrayDataset('shifted', images, shifted, [1, 28, 28], 10), { batchSize: 64 });
    expect(wrong.accuracy).toBe(0);
    const permuted = own.slice().reverse();
    const perm = await web.evaluate(lenet, arrayDataset('permuted', images, permuted, [1, 28, 28], 10), { batchSize: 64 });
    expect(perm.accuracy).toBeLessThan(0.4);
    expect(wrong.loss!).toBeGreaterThan(exact.loss!);

    // The mean cross-entropy is the log-softmax loss of the logits.
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(scores.subarray(i * 10, i * 10 + 10));
      const max = Math.max(...row);
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
      sum += lse - row[own[i]];
    }
    expect(exact.loss!).toBeCloseTo(sum / n, 4);
  });

  it('reaches the fixture’s accuracy on real MNIST labels, independent of batch size, with progress', async () => {
    const data = arrayDataset('mnist/test[:256]', mnist.images, mnist.labels, [1, 28, 28], 10);
    const progress: number[] = [];
    const a = await web.evaluate(lenet, data, { batchSize: 64, onProgress: (done, total) => progress.push(done / total) });
    const b = await web.evaluate(lenet, data, { batchSize: 7, limit: 256 });
    expect(a.accuracy).toBeGreaterThan(0.95);
    expect(b.accuracy).toBe(a.accuracy);
    expect(b.loss!).toBeCloseTo(a.loss!, 5);
    expect(progress).toEqual([0.25, 0.5, 0.75, 1]);
    const limited = await web.evaluate(lenet, data, { batchSize: 64, limit: 100 });
    expect(limited.samples).toBe(100);
  });

  it('rejects a dataset whose samples do not fit the model input', async () => {
    const data = arrayDataset('flat', new Float32Array(4 * 784), new Int32Array(4), [784], 10);
    const error = await rejection(web.evaluate(lenet, data));
    expect(isMetacompressError(error, 'MC_SHAPE_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain("'flat'");
    expect((error as Error).message).toContain('[784]');
  });

  it('rejects labels outside the output’s classes and empty datasets', async () => {
    const bad = arrayDataset('bad', mnist.images.slice(0, 2 * 784), new Int32Array([3, 12]), [1, 28, 28], 13);
    expect(isMetacompressError(await rejection(web.evaluate(lenet, bad)), 'MC_LABEL_OUT_OF_RANGE')).toBe(true);
    const empty = arrayDataset('empty', new Float32Array(0), new Int32Array(0), [1, 28, 28], 10);
    expect(isMetacompressError(await rejection(web.evaluate(lenet, empty)), 'MC_EMPTY_DATASET')).toBe(true);
  });
});

describe('latency', () => {
  it('times warm runs at batch 1 and 64 with sane statistics', async () => {
    for (const batchSize of [1, 64]) {
      const stats = await web.latency(lenet, { batchSize, warmup: 1, runs: 5 });
      expect(stats.batchSize).toBe(batchSize);
      expect(stats.runs).toBe(5);
      expect(stats.samplesMs).toHaveLength(5);
      expect(stats.backend).toBe('ort-web');
      expect(stats.minMs).toBeGreaterThan(0);
      expect(stats.minMs).toBeLessThanOrEqual(stats.p10Ms);
      expect(stats.p10Ms).toBeLessThanOrEqual(stats.medianMs);
      expect(stats.medianMs).toBeLessThanOrEqual(stats.p90Ms);
      expect(stats.p90Ms).toBeLessThanOrEqual(stats.maxMs);
      expect(stats.minMs).toBe(Math.min(...stats.samplesMs));
      expect(stats.maxMs).toBe(Math.max(...stats.samplesMs));
    }
  });

  it('refuses a batch size that contradicts a fixed batch dim', async () => {
    const model = new Uint8Array(readFileSync('/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx'));
    const error = await rejection(web.latency(model, { batchSize: 64, runs: 1 }));
    expect(isMetacompressError(error, 'MC_SHAPE_MISMATCH')).toBe(true);
    const ok = await web.latency(model, { batchSize: 1, warmup: 0, runs: 2 });
    expect(ok.runs).toBe(2);
  });

  it('rejects invalid run counts', async () => {
    expect(isMetacompressError(await rejection(web.latency(lenet, { batchSize: 1, runs: 0 })), 'MC_INVALID_ARGUMENT')).toBe(true);
  });
});

describe('onnxruntime-node', () => {
  it('agrees with onnxruntime-web within 1e-4', async () => {
    const node = await createOrtNodeBackend();
    expect(node.engine).toMatch(/onnxruntime-node/);
    const feed = { input: imagesOf(32) };
    const [a, b] = await Promise.all([web.run(lenet, feed), node.run(lenet, feed, { outputs: ['logits', '/Flatten_output_0'] })]);
    expect(maxAbsDiff(a.logits.data as Float32Array, b.logits.data as Float32Array)).toBeLessThan(1e-4);
    const stats = await node.latency(lenet, { batchSize: 1, warmup: 1, runs: 3 });
    expect(stats.backend).toBe('ort-node');
    await node.dispose();
  });
});

describe('registration', () => {
  it('prefers ort-node and still resolves ort-web by name', async () => {
    const registry = new BackendRegistry();
    registerOrtBackends(registry);
    expect(registry.list('inference').map((r) => r.name)).toEqual([ORT_NODE, ORT_WEB]);
    const best = await registry.resolve<OrtBackend>('inference');
    expect(best.name).toBe(ORT_NODE);
    const chosen = await registry.resolve<OrtBackend>('inference', [ORT_WEB]);
    expect(chosen.name).toBe(ORT_WEB);
    expect(chosen.engine).toMatch(/onnxruntime-web .*wasm, 1 thread/);
    const { logits } = await chosen.run(lenet, { input: imagesOf(1) });
    expect(logits.dims).toEqual([1, 10]);
    await Promise.all([best.dispose(), chosen.dispose()]);
  });

  it('refuses a second wasm thread count in the same process', async () => {
    const two = createOrtBackend(await loadOrtWeb(), 'web', { numThreads: 2 });
    const error = await rejection(two.run(lenet, { input: imagesOf(1) }));
    expect(isMetacompressError(error, 'MC_INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain('thread');
  });
});
