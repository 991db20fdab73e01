// Soft channel masks on coupling groups (DESIGN.md §5): differentiable, placed after BN/bias,
// and a 0/1 mask computes what physically removing the channels computes.
import type * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { DataType, analyzeCoupling, createTensor, removeChannels, type Graph } from '@metacompress/ir';
import { loadMnist } from '@metacompress/tasks';
import { buildExecutor, crossEntropy } from '../src/base';
import { a, feed, fixture, graphOf, maxAbsDiff, node, ortWeb, tfjs, weight } from './executor-helpers';

async function batch(n: number, flat = false) {
  const [b] = (await loadMnist({ split: 'test' })).batches(n, { limit: n });
  return { dims: flat ? [n, 784] : [n, 1, 28, 28], data: b!.inputs.data, labels: b!.labels };
}

/** A group by id prefix, checked to exist. */
function group(graph: Graph, id: string) {
  const g = analyzeCoupling(graph).find((x) => x.id === id);
  if (!g) throw new Error(`no group ${id}`);
  return g;
}

const CASES = [
  { file: 'lenet5.onnx', group: '/conv2/Conv' },
  { file: 'lenet300.onnx', group: '/fc1/Gemm' },
  { file: 'resnet-bn.onnx', group: '/stem/stem.0/Conv' },
  { file: 'mobilenetv2-bn.onnx', group: '/features/features.4/block/block.0/Conv' },
] as const;

describe('soft channel masks', () => {
  it.each(CASES)(
    '$file, group $group: d loss / d mask matches finite differences',
    async ({ file, group: id }) => {
      const { tf } = await tfjs();
      const graph = await fixture(file);
      const g = group(graph, id);
      const data = await batch(16, file === 'lenet300.onnx');
      const exec = buildExecutor(graph, { tf });
      const x = tf.tensor(data.data, data.dims);
      const y = tf.tensor1d(data.labels, 'int32');
      // Soft mask values in [0.3, 1), away from ReLU kinks.
      const values = Float32Array.from({ length: g.channels }, (_, i) => 0.3 + ((i * 0.37) % 0.7));
      const loss = (m: tfc.Tensor) =>
        tf.tidy(() => tf.mul(crossEntropy(tf, exec.predict(x, { masks: { [id]: m } }), y), 16) as tfc.Scalar);
      const lossAt = (v: Float32Array) => tf.tidy(() => loss(tf.tensor1d(v)).dataSync()[0]!);
      try {
        const grad = tf.tidy(() => Float32Array.from(tf.grad(loss)(tf.tensor1d(values)).dataSync()));
        expect(grad.length).toBe(g.channels);
        const largest = [...grad.keys()].sort((i, j) => Math.abs(grad[j]!) - Math.abs(grad[i]!)).slice(0, 3);
        expect(Math.abs(grad[largest[0]!]!)).toBeGreaterThan(1e-3);
        // Central differences with a small step: the loss is curved in the mask (a residual group's mask
        // scales several producers), so larger steps drift by a few percent.
        const eps = 1e-3;
        for (const i of largest) {
          const up = Float32Array.from(values);
          const down = Float32Array.from(values);
          up[i]! += eps;
          down[i]! -= eps;
          const fd = (lossAt(up) - lossAt(down)) / (2 * eps);
          expect(Math.abs(fd - grad[i]!)).toBeLessThanOrEqual(0.01 * Math.abs(grad[i]!) + 0.01);
        }
      } finally {
        tf.dispose([x, y]);
        exec.dispose();
      }
    },
  );

  it.each(CASES)(
    '$file, group $group: a 0/1 mask equals removing the channels (onnxruntime-web on removeChannels)',
    async ({ file, group: id }) => {
      const { tf } = await tfjs();
      const graph = await fixture(file);
      const g = group(graph, id);
      const data = await batch(8, file === 'lenet300.onnx');
      const drop = new Set([1, 3, g.channels - 2]);
      const keep = Array.from({ length: g.channels }, (_, i) => i).filter((i) => !drop.has(i));
      const pruned = removeChannels(graph, { [id]: keep });
      const exec = buildExecutor(graph, { tf });
      try {
        const masked = tf.tidy(() => {
          const mask = tf.tensor1d(Array.from({ length: g.channels }, (_, i) => (drop.has(i) ? 0 : 1)));
          return Float32Array.from(
            exec.predict(tf.tensor(data.data, data.dims), { masks: new Map([[id, mask]]) }).dataSync(),
          );
        });
        const unmasked = tf.tidy(() =>
          Float32Array.from(exec.predict(tf.tensor(data.data, data.dims)).dataSync()),
        );
        const ones = tf.tidy(() =>
          Float32Array.from(
            exec
              .predict(tf.tensor(data.data, data.dims), { masks: { [id]: tf.ones([g.channels]) } })
              .dataSync(),
          ),
        );
        const ref = await (
          await ortWeb()
        ).run(pruned, { [graph.inputs[0]!.name]: { dims: data.dims, data: data.data } });
        const reference = ref[graph.outputs[0]!.name]!.data as Float32Array;
        expect(maxAbsDiff(masked, reference)).toBeLessThanOrEqual(1e-4);
        expect(maxAbsDiff(masked, unmasked)).toBeGreaterThan(1e-3);
        expect(maxAbsDiff(ones, unmasked)).toBe(0);
      } finally {
        exec.dispose();
      }
    },
  );

  it('places masks after BatchNormalization, and on every producer of a residual group', async () => {
    const { tf } = await tfjs();
    const exec = buildExecutor(await fixture('resnet-bn.onnx'), { tf });
    try {
      const sites = [...exec.maskSites().values()].flat().filter((s) => s.group === '/stem/stem.0/Conv');
      expect(sites.map((s) => s.value).sort()).toEqual([
        '/layers/layers.0/bn2/BatchNormalization_output_0',
        '/layers/layers.1/bn2/BatchNormalization_output_0',
        '/stem/stem.1/BatchNormalization_output_0',
      ]);
      expect(sites.every((s) => s.axis === 1 && s.offset === 0 && s.length === 16)).toBe(true);
    } finally {
      exec.dispose();
    }
  });

  it('has correct second derivatives in the mask (Hessian-vector product vs differences of gradients)', async () => {
    const { tf } = await tfjs();
    // Smooth activations, so differences of gradients do not straddle ReLU kinks.
    const graph = graphOf({
      inputs: { x: [4, 3, 8, 8] },
      outputs: ['y'],
      nodes: [
        node('Conv', ['x', 'w1'], ['c0'], { pads: a.ints([1, 1, 1, 1]) }, 'conv1'),
        node('BatchNormalization', ['c0', 's', 'b', 'm', 'v'], ['c1']),
        node('Tanh', ['c1'], ['t1']),
        node('MaxPool', ['t1'], ['p1'], { kernel_shape: a.ints([2, 2]), strides: a.ints([2, 2]) }),
        node('Conv', ['p1', 'w2', 'b2'], ['c2'], { group: a.int(2) }, 'conv2'),
        node('Sigmoid', ['c2'], ['t2']),
        node('GlobalAveragePool', ['t2'], ['g']),
        node('Flatten', ['g'], ['f']),
        node('Gemm', ['f', 'fw', 'fb'], ['y'], { transB: a.int(1) }, 'fc'),
      ],
      initializers: [
        weight('w1', [6, 3, 3, 3], 1),
        weight('s', [6], 2),
        weight('b', [6], 3),
        weight('m', [6], 4),
        createTensor('v', DataType.FLOAT, [6], [0.5, 0.7, 1.1, 0.9, 0.3, 1.3]),
        weight('w2', [4, 3, 3, 3], 5),
        weight('b2', [4], 6),
        weight('fw', [3, 4], 7),
        weight('fb', [3], 8),
      ],
    });
    const exec = buildExecutor(graph, { tf });
    const x = tf.tensor(feed([4, 3, 8, 8], 9).data, [4, 3, 8, 8]);
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    const m0 = tf.tensor1d([0.3, 0.9, 0.6, 0.8, 0.45, 0.7]);
    const v = tf.tensor1d([0.8, -0.5, 0.3, 0.9, -0.7, 0.2]);
    const loss = (m: tfc.Tensor) => crossEntropy(tf, exec.predict(x, { masks: { conv1: m } }), y);
    const gradAt = (m: tfc.Tensor) => tf.tidy(() => Float32Array.from(tf.grad(loss)(m).dataSync()));
    try {
      const hvp = tf.tidy(() =>
        Float32Array.from(
          tf
            .grad((m: tfc.Tensor) => tf.sum(tf.mul(tf.grad(loss)(m), v)))(m0)
            .dataSync(),
        ),
      );
      const eps = 1e-2;
      const up = gradAt(tf.add(m0, tf.mul(v, eps)));
      const down = gradAt(tf.sub(m0, tf.mul(v, eps)));
      const fd = up.map((g, i) => (g - down[i]!) / (2 * eps));
      const scale = Math.max(...fd.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(hvp, fd)).toBeLessThanOrEqual(0.01 * scale);
    } finally {
      tf.dispose([x, y, m0, v]);
      exec.dispose();
    }
  });

  it('rejects unknown groups and masks of the wrong length', async () => {
    const { tf } = await tfjs();
    const exec = buildExecutor(await fixture('lenet5.onnx'), { tf });
    const x = tf.zeros([1, 1, 28, 28]);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return isMetacompressError(error) ? error.code : String(error);
      }
      return 'no error';
    };
    try {
      expect(code(() => exec.predict(x, { masks: { nope: tf.ones([6]) } }))).toBe('MC_UNKNOWN_GROUP');
      expect(code(() => exec.predict(x, { masks: { '/conv1/Conv': tf.ones([5]) } }))).toBe(
        'MC_SHAPE_MISMATCH',
      );
    } finally {
      tf.dispose(x);
      exec.dispose();
    }
  });
});
