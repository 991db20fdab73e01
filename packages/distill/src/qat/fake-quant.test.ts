import * as tf from '@tensorflow/tfjs-core';
import { initTfjs } from '@metacompress/backend-tfjs';
import { isMetacompressError } from '@metacompress/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { blobs, mlpGraph, toyModelFactory } from '../test-model';
import { finetune } from '../finetune/finetune';
import { evaluateModel } from '../finetune/evaluate-model';
import { fakeQuantize, gridOf } from './fake-quant';
import { splitFakeQuant, withFakeQuantNodes } from './fake-quant-graph';

beforeAll(async () => {
  await initTfjs({ prefer: ['wasm', 'cpu'] });
});

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isMetacompressError(e) ? `${e.code} ${String(e.details.field)}` : String(e);
  }
};

describe('fakeQuantize', () => {
  it('rounds to the symmetric grid of the tensor range (per tensor)', () => {
    const x = tf.tensor1d([-1, -0.3, 0, 0.26, 0.5, 1]);
    const q = Array.from(fakeQuantize(x, { target: 'w', bits: 3 }).dataSync()); // 3 levels each side, scale 1/3
    expect(q.map((v) => +v.toFixed(5))).toEqual([-1, -0.33333, 0, 0.33333, 0.66667, 1]);
    expect(gridOf({ bits: 8 })).toEqual({ qmin: -127, qmax: 127 });
    expect(gridOf({ bits: 8, symmetric: false })).toEqual({ qmin: 0, qmax: 255 });
  });

  it('quantizes per channel along an axis, and with fixed asymmetric parameters clips', () => {
    const w = tf.tensor2d([
      [1, 0.6],
      [10, -6],
    ]);
    const q = Array.from(fakeQuantize(w, { target: 'w', bits: 2, axis: 0 }).dataSync()); // 1 level each side
    expect(q).toEqual([1, 1, 10, -10]);
    const a = tf.tensor1d([-1, 0, 0.12, 0.5, 3]);
    const qa = Array.from(
      fakeQuantize(a, { target: 'a', bits: 4, symmetric: false, scale: 0.1, zeroPoint: 0 }).dataSync(),
    );
    expect(qa.map((v) => +v.toFixed(5))).toEqual([0, 0, 0.1, 0.5, 1.5]);
  });

  it('has the straight-through gradient: 1 inside the range, 0 where clipped', () => {
    const a = tf.tensor1d([-1, 0.12, 0.5, 3]);
    const g = tf.grad((x: tf.Tensor) =>
      tf.sum(fakeQuantize(x, { target: 'a', bits: 4, symmetric: false, scale: 0.1 })),
    )(a);
    expect(Array.from(g.dataSync())).toEqual([0, 1, 1, 0]);
  });

  it('rejects bad specs', () => {
    expect(codeOf(() => fakeQuantize(tf.zeros([2]), { target: 'w', bits: 1 }))).toBe(
      'MC_UNSUPPORTED_BITS fakeQuant.bits',
    );
    expect(codeOf(() => fakeQuantize(tf.zeros([2]), { target: 'w', bits: 8, scale: 0 }))).toBe(
      'MC_INVALID_ARGUMENT fakeQuant.scale',
    );
    expect(codeOf(() => fakeQuantize(tf.zeros([2]), { target: 'w', bits: 8, axis: 3 }))).toBe(
      'MC_INVALID_ARGUMENT fakeQuant.axis',
    );
    expect(
      codeOf(() => fakeQuantize(tf.zeros([2, 3]), { target: 'w', bits: 8, axis: 1, scale: [1, 2] })),
    ).toBe('MC_SHAPE_MISMATCH fakeQuant.scale');
  });
});

describe('fake-quant graph rewrite', () => {
  it('splits targets into weights and activations and inserts nodes for activations', () => {
    const g = mlpGraph([4, 3, 2], 1);
    const { weights, activations } = splitFakeQuant(g, [
      { target: 'fc0.weight', bits: 4 },
      { target: 'relu0_out', bits: 8, symmetric: false, scale: 0.1 },
    ]);
    expect([...weights.keys()]).toEqual(['fc0.weight']);
    expect([...activations.keys()]).toEqual(['relu0_out']);
    const { graph, nodes } = withFakeQuantNodes(g, ['relu0_out']);
    expect(graph.nodes.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'FakeQuant', 'Gemm']);
    expect(graph.nodes[3]!.inputs[0]).toBe('relu0_out__fq');
    expect([...nodes.values()]).toEqual(['relu0_out']);
    expect(codeOf(() => splitFakeQuant(g, [{ target: 'nope', bits: 8 }]))).toBe(
      'MC_INVALID_ARGUMENT fakeQuant[0].target',
    );
  });
});

describe('quantization-aware fine-tuning', () => {
  it('recovers the accuracy that 2-bit weights lose', async () => {
    const train = blobs(512, 12, 4, 1, 'train');
    const validation = blobs(256, 12, 4, 1, 'val', 1);
    const fp = await finetune(mlpGraph([12, 16, 4], 5), {
      model: toyModelFactory,
      train,
      steps: 80,
      schedule: { kind: 'constant', lr: 0.01 },
    });
    const specs = ['fc0.weight', 'fc1.weight'].map((target) => ({ target, bits: 2, axis: 0 }));
    const accuracy = async (graph: typeof fp.graph) => {
      const m = await toyModelFactory(graph, { role: 'teacher', fakeQuant: specs });
      const a = evaluateModel(m, validation).accuracy;
      m.dispose();
      return a;
    };
    const before = await accuracy(fp.graph);
    const qat = await finetune(fp.graph, {
      model: toyModelFactory,
      train,
      teacher: fp.graph,
      steps: 80,
      fakeQuant: specs,
      schedule: { kind: 'constant', lr: 0.005 },
    });
    const after = await accuracy(qat.graph);
    expect(after).toBeGreaterThan(before + 0.05);
  });
});
