import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../engine/init-tfjs';
import { randomTensor, relativeError, valuesOn } from '../test-util';

// tf.grad through convolutions on wasm (composed backprop kernels, this package's gradient
// functions) against the cpu backend's own kernels. tfjs-core's gradients refuse dilation, so the
// dilated references differentiate the equivalent dilation-1 convolution with the zero-dilated
// filter as an independent variable, and read its gradient back at every d-th tap.
beforeAll(async () => {
  await initTfjs({ prefer: ['wasm'] });
});

type Pad =
  'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  stride: number | [number, number];
  pad: Pad;
  d: number;
  m: number;
}
const explicit: Pad = [
  [0, 0],
  [2, 1],
  [1, 0],
  [0, 0],
];
const CASES: Case[] = [];
for (const stride of [1, 2, [1, 2]] as (number | [number, number])[]) {
  for (const pad of ['valid', 'same', 1, explicit] as Pad[]) {
    for (const k of [
      [3, 3],
      [2, 1],
    ] as [number, number][]) {
      // tfjs-core sizes a numeric pad's output with the filter height and stride in both
      // directions, which is wrong for non-square filters or strides (and crashes the wasm forward kernels): not a case to test.
      if (typeof pad === 'number' && (k[0] !== k[1] || Array.isArray(stride))) continue;
      CASES.push({ x: [2, 7, 6, 3], k, stride, pad, d: 1, m: (CASES.length % 3) + 1 });
    }
  }
}
for (const pad of ['valid', 'same', explicit] as Pad[])
  for (const d of [2, 3]) CASES.push({ x: [2, 10, 9, 2], k: [3, 2], stride: 1, pad, d, m: d - 1 });
const label = (c: Case) => `x=${c.x} k=${c.k} s=${c.stride} pad=${JSON.stringify(c.pad)} d=${c.d} m=${c.m}`;

function dilatedValues(f: tf.Tensor4D, d: number): tf.Tensor4D {
  if (d === 1) return f;
  const [kh, kw, a, b] = f.shape;
  const buf = tf.buffer([(kh - 1) * d + 1, (kw - 1) * d + 1, a, b], 'float32');
  const v = f.dataSync();
  let i = 0;
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let p = 0; p < a; p++) for (let q = 0; q < b; q++) buf.set(v[i++]!, h * d, w * d, p, q);
  return buf.toTensor() as tf.Tensor4D;
}
const everyDth = (g: tf.Tensor, d: number) =>
  d === 1 ? g : tf.stridedSlice(g, [0, 0, 0, 0], g.shape, [d, d, 1, 1]);

async function compare(c: Case, depthwise: boolean, i: number) {
  const fshape: [number, number, number, number] = depthwise
    ? [c.k[0], c.k[1], c.x[3], c.m]
    : [c.k[0], c.k[1], c.x[3], 4];
  const conv = (x: tf.Tensor4D, f: tf.Tensor4D, d: number) =>
    depthwise
      ? tf.depthwiseConv2d(x, f, c.stride, c.pad as 'same', 'NHWC', d)
      : tf.conv2d(x, f, c.stride, c.pad as 'same', 'NHWC', d);
  const x = randomTensor(c.x, i) as tf.Tensor4D;
  const f = randomTensor(fshape, i + 100) as tf.Tensor4D;
  const outShape = tf.tidy(() => conv(x, f, c.d).shape);
  const r = randomTensor(outShape, i + 200);
  // A nonlinearity after the convolution so that dy varies in a way a bug would show.
  const loss = (y: tf.Tensor) => tf.sum(tf.mul(tf.tanh(y), r));
  const [gx, gf] = await valuesOn('wasm', () =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(conv(a as tf.Tensor4D, b as tf.Tensor4D, c.d)))([x, f]),
  );
  const [wx, wf] = await valuesOn('cpu', () => {
    const [dx, dfd] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      loss(conv(a as tf.Tensor4D, b as tf.Tensor4D, 1)),
    )([x, dilatedValues(f, c.d)]);
    return [dx!, everyDth(dfd!, c.d)];
  });
  expect(relativeError(gx!, wx!), `dx ${label(c)}`).toBeLessThan(1e-4);
  expect(relativeError(gf!, wf!), `dfilter ${label(c)}`).toBeLessThan(1e-4);
  tf.dispose([x, f, r]);
}

describe('tf.grad through convolutions: wasm vs the cpu backend’s own kernels', () => {
  it('conv2d over strides, pads (SAME, VALID, number, explicit), filter sizes and dilations', async () => {
    for (const [i, c] of CASES.entries()) await compare(c, false, i);
  });

  it('depthwiseConv2d with channel multipliers 1–3 and dilations', async () => {
    for (const [i, c] of CASES.entries()) await compare(c, true, i);
  });
});
