import * as tf from '@tensorflow/tfjs-core';
import { buildExecutor, initTfjs, type TfjsRuntime } from '@metacompress/backend-tfjs/base';
import { loadOnnx, toFloat32, withFloat32 } from '@metacompress/ir';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeQuantize } from '../qat/fake-quant';
import { createExecutorModelFactory } from './executor-model';

let rt: TfjsRuntime;
beforeAll(async () => {
  rt = await initTfjs({ prefer: ['wasm'] });
});
const lenet = await loadOnnx(new URL('../../../../fixtures/models/lenet5.onnx', import.meta.url).pathname);
const conv1 = lenet.nodes.find((n) => n.opType === 'Conv')!;
const relu1 = lenet.nodes.find((n) => n.opType === 'Relu')!.outputs[0]!;
const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 4);
};

describe('executor model factory', () => {
  it('runs the graph, returns intermediate values, round-trips weights', async () => {
    const factory = createExecutorModelFactory({ runtime: rt });
    const m = await factory(lenet, { role: 'student' });
    const x = tf.randomUniform([2, 1, 28, 28], 0, 1, 'float32', 1);
    const out = m.forward(x, { training: false, outputs: [relu1] });
    expect(out.logits.shape).toEqual([2, 10]);
    expect(out.values[relu1]!.shape).toEqual([2, 6, 28, 28]);
    expect(m.params.length).toBe(lenet.initializers.length);
    expect(m.toGraph().initializers.map((t) => Array.from(toFloat32(t)))).toEqual(
      lenet.initializers.map((t) => Array.from(toFloat32(t))),
    );
    m.dispose();
  });

  it('fake-quantizes a weight per output channel of the ONNX layout (whatever layout the executor stores it in)', async () => {
    const spec = { target: conv1.inputs[1]!, bits: 3, axis: 0 };
    const m = await createExecutorModelFactory({ runtime: rt })(lenet, {
      role: 'student',
      fakeQuant: [spec],
    });
    // reference: the same graph with the weight quantized in ONNX layout beforehand
    const w = lenet.initializers.find((t) => t.name === spec.target)!;
    const q = fakeQuantize(tf.tensor(toFloat32(w), [...w.dims]), spec).dataSync() as Float32Array;
    const ref = buildExecutor(
      {
        ...lenet,
        initializers: lenet.initializers.map((t) =>
          t === w ? withFloat32(t, t.dims, Float32Array.from(q)) : t,
        ),
      },
      { tf: rt.tf, trainable: 'none' },
    );
    expect(ref.weightPerm(spec.target)).toBeDefined(); // stored transposed: the axis must be mapped
    const x = tf.randomUniform([2, 1, 28, 28], 0, 1, 'float32', 2);
    close(m.forward(x, { training: false }).logits.dataSync(), ref.predict(x).dataSync());
    // the stored weight itself stays full precision
    expect(Array.from(toFloat32(m.toGraph().initializers.find((t) => t.name === spec.target)!))).toEqual(
      Array.from(toFloat32(w)),
    );
    m.dispose();
    ref.dispose();
  });

  it('fake-quantizes an activation for its readers, and the returned graph keeps the original structure', async () => {
    const spec = { target: relu1, bits: 4, symmetric: false, scale: 0.25, zeroPoint: 0 };
    const m = await createExecutorModelFactory({ runtime: rt })(lenet, {
      role: 'student',
      fakeQuant: [spec],
    });
    const plain = buildExecutor(lenet, { tf: rt.tf, trainable: 'none' });
    const x = tf.randomUniform([2, 1, 28, 28], 0, 1, 'float32', 3);
    const a = m.forward(x, { training: false, outputs: [`${relu1}__fq`, relu1] });
    close(a.values[`${relu1}__fq`]!.dataSync(), fakeQuantize(a.values[relu1]!, spec).dataSync());
    expect(Math.max(...Array.from(tf.abs(tf.sub(a.logits, plain.predict(x))).dataSync()))).toBeGreaterThan(
      1e-3,
    );
    expect(m.toGraph().nodes).toEqual(lenet.nodes);
    m.dispose();
    plain.dispose();
  });
});
