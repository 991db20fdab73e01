import * as tf from '@tensorflow/tfjs-core';
import { buildExecutor, initTfjs, type TfjsRuntime } from '@metacompress/backend-tfjs/base';
import { foldBatchNorm, loadOnnx } from '@metacompress/ir';
import { beforeAll, describe, expect, it } from 'vitest';
import { convOutputsWithoutBatchNorm, insertBatchNorm, PRE_BN_SUFFIX } from './batch-norm-insertion';

let rt: TfjsRuntime;
beforeAll(async () => {
  rt = await initTfjs({ prefer: ['wasm'] });
});
const fixture = (name: string) =>
  loadOnnx(new URL(`../../../../fixtures/models/${name}`, import.meta.url).pathname);

describe('insertBatchNorm', () => {
  it('adds a BN after every convolution of a folded model, keeping value names; none where BN exists', async () => {
    const resnet = await fixture('resnet.onnx');
    const values = convOutputsWithoutBatchNorm(resnet);
    expect(values.length).toBe(resnet.nodes.filter((n) => n.opType === 'Conv').length);
    expect(convOutputsWithoutBatchNorm(await fixture('resnet-bn.onnx'))).toEqual([]);
    const withBn = insertBatchNorm(resnet, values);
    expect(withBn.nodes.filter((n) => n.opType === 'BatchNormalization').length).toBe(values.length);
    const produced = new Set(withBn.nodes.flatMap((n) => n.outputs));
    for (const v of values) expect(produced.has(v) && produced.has(`${v}${PRE_BN_SUFFIX}`)).toBe(true);
    expect(convOutputsWithoutBatchNorm(withBn)).toEqual([]);
  });

  it('with measured statistics it is the identity in inference mode, and folding gives the original back', async () => {
    const lenet = await fixture('lenet5.onnx');
    const values = convOutputsWithoutBatchNorm(lenet);
    const x = tf.randomUniform([4, 1, 28, 28], 0, 1, 'float32', 3);
    const base = buildExecutor(lenet, { tf: rt.tf, trainable: 'none' });
    const outs = base.forward({ input: x }, { outputs: [...values, 'logits'] });
    const stats = new Map(
      values.map((v) => {
        const t = outs[v]!;
        const { mean, variance } = tf.moments(t, [0, 2, 3]);
        return [v, { mean: mean.dataSync() as Float32Array, variance: variance.dataSync() as Float32Array }];
      }),
    );
    const withBn = insertBatchNorm(lenet, values, stats);
    const ex = buildExecutor(withBn, { tf: rt.tf, trainable: 'none' });
    const a = Array.from(outs.logits!.dataSync());
    const b = Array.from(ex.predict(x).dataSync());
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 3));
    const folded = foldBatchNorm(withBn);
    expect(folded.nodes.map((n) => n.opType)).toEqual(lenet.nodes.map((n) => n.opType));
    expect(folded.nodes.map((n) => n.outputs)).toEqual(lenet.nodes.map((n) => n.outputs));
    base.dispose();
    ex.dispose();
  });
});
