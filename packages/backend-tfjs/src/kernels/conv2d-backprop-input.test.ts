import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../engine/init-tfjs';
import { convGeometry } from './conv-geometry';
import {
  CONV2D_BACKPROP_INPUT_MIN_MACS,
  conv2DBackpropInputKernel,
  conv2DBackpropInputRoute,
} from './conv2d-backprop-input';
import { nativeKernel } from './training-kernels';
import { randomTensor, relativeError, seeded, valuesOn } from '../test-util';

// The composed Conv2DBackpropInput against the cpu backend's own kernel (this file never
// initializes the cpu engine, so cpu results come from tfjs's reference kernels).
beforeAll(async () => {
  await initTfjs({ prefer: ['wasm'] });
});

type Pad =
  'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
type Pair = number | [number, number];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  stride: Pair;
  pad: Pad;
  dilation: Pair;
}

const explicit: Pad = [
  [0, 0],
  [1, 2],
  [0, 1],
  [0, 0],
];
const CASES: Case[] = [];
for (const x of [
  [2, 7, 7, 3],
  [1, 8, 6, 2],
  [2, 9, 10, 5],
] as [number, number, number, number][]) {
  for (const k of [
    [3, 3],
    [1, 1],
    [2, 3],
    [5, 5],
    [3, 1],
  ] as [number, number][]) {
    for (const stride of [1, 2, 3, [2, 1], [1, 3]] as Pair[]) {
      for (const pad of ['valid', 'same', 1, explicit] as Pad[]) {
        // tfjs-core sizes a numeric pad's output with the filter height and stride in both
        // directions (wrong when they are not square): numeric pads only with square ones.
        if (typeof pad === 'number' && (k[0] !== k[1] || Array.isArray(stride))) continue;
        CASES.push({ x, k, co: 4, stride, pad, dilation: 1 });
      }
    }
  }
}
for (const k of [
  [3, 3],
  [2, 3],
  [1, 1],
] as [number, number][]) {
  for (const [stride, dilation] of [
    [1, 2],
    [1, 3],
    [1, [2, 1]],
    [2, 2],
    [[1, 2], 2],
  ] as [Pair, Pair][]) {
    for (const pad of ['valid', 'same', explicit] as Pad[]) {
      CASES.push({ x: [2, 11, 10, 3], k, co: 4, stride, pad, dilation });
    }
  }
}

const label = (c: Case) =>
  `x=${c.x} k=${c.k} s=${JSON.stringify(c.stride)} pad=${JSON.stringify(c.pad)} d=${JSON.stringify(c.dilation)}`;
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A `[KH, KW, A, B]` filter with zeros between its taps (the reference for dilated kernels). */
function dilateValues(values: Float32Array, shape: number[], [dh, dw]: [number, number]) {
  const [kh, kw, a, b] = shape as [number, number, number, number];
  const dShape = [(kh - 1) * dh + 1, (kw - 1) * dw + 1, a, b];
  const out = new Float32Array(size(dShape));
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < a * b; i++)
        out[(h * dh * dShape[1]! + w * dw) * a * b + i] = values[(h * kw + w) * a * b + i]!;
  return { values: out, shape: dShape };
}

/** Runs a kernel config directly on the active backend and reads the result. */
function runConfig(config: tf.KernelConfig, inputs: Record<string, tf.Tensor>, attrs: object): Float32Array {
  const info = config.kernelFunc({ inputs, attrs: attrs as never, backend: tf.backend() }) as tf.TensorInfo;
  const t = tf.engine().makeTensorFromTensorInfo(info);
  const values = Float32Array.from(t.dataSync());
  t.dispose();
  return values;
}

/** The cpu backend's own kernel, at dilation 1 on the zero-dilated filter. */
async function reference(c: Case, dy: Float32Array, dyShape: number[], f: Float32Array, fShape: number[]) {
  const fd = dilateValues(f, fShape, pair(c.dilation));
  const [want] = await valuesOn(
    'cpu',
    () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropInput',
          { dy: tf.tensor(dy, dyShape), filter: tf.tensor(fd.values, fd.shape) },
          {
            strides: c.stride,
            pad: c.pad,
            dataFormat: 'NHWC',
            inputShape: c.x,
          } as never,
        ) as tf.Tensor,
  );
  return want!;
}

const TOL = 1e-4;

describe('composed Conv2DBackpropInput', () => {
  it('matches the cpu backend’s own kernel over strides, pads, filter sizes and dilations (wasm and cpu)', async () => {
    const composed = { wasm: conv2DBackpropInputKernel('wasm'), cpu: conv2DBackpropInputKernel('cpu') };
    let checked = 0;
    for (const [i, c] of CASES.entries()) {
      const fShape = [c.k[0], c.k[1], c.x[3], c.co];
      const g = tf.backend_util.computeConv2DInfo(
        c.x,
        fShape as [number, number, number, number],
        c.stride,
        c.dilation,
        c.pad,
      );
      if (g.outShape.some((d) => d <= 0)) continue;
      const dy = seeded(size(g.outShape), i + 1);
      const f = seeded(size(fShape), i + 500);
      const want = await reference(c, dy, g.outShape, f, fShape);
      const attrs = {
        strides: c.stride,
        pad: c.pad,
        dataFormat: 'NHWC',
        inputShape: c.x,
        dilations: c.dilation,
      };
      for (const backend of ['wasm', 'cpu'] as const) {
        await tf.setBackend(backend);
        const got = tf.tidy(() =>
          runConfig(
            composed[backend],
            { dy: tf.tensor(dy, g.outShape), filter: tf.tensor(f, fShape) },
            attrs,
          ),
        );
        expect(got.length, `${backend} ${label(c)}`).toBe(size(c.x));
        expect(relativeError(got, want), `${backend} ${label(c)}`).toBeLessThan(TOL);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(150);
  });

  it('in NCHW', async () => {
    const dy = randomTensor([2, 5, 4, 3], 2);
    const f = randomTensor([3, 3, 3, 5], 3);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 7, 6] };
    await tf.setBackend('wasm');
    const got = tf.tidy(() => runConfig(conv2DBackpropInputKernel('wasm'), { dy, filter: f }, attrs));
    const [want] = await valuesOn(
      'cpu',
      () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, attrs as never) as tf.Tensor,
    );
    expect(relativeError(got, want!)).toBeLessThan(TOL);
  });

  it('is what wasm runs, and leaves tiny convolutions to the stock kernel (a measured rule)', async () => {
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc).not.toBe(
      nativeKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc,
    );
    // The cpu keeps its own kernel: the composed one is slower there.
    expect(nativeKernel('Conv2DBackpropInput', 'cpu')?.kernelFunc).toBe(
      tf.getKernel('Conv2DBackpropInput', 'cpu')?.kernelFunc,
    );
    const route = (x: number[], f: number[], s: Pair, d: Pair = 1) =>
      conv2DBackpropInputRoute(convGeometry(x, f, s, d, 'same', undefined, false));
    expect(route([32, 28, 28, 16], [3, 3, 16, 16], 1)).toBe('composed');
    expect(route([64, 28, 28, 16], [1, 1, 16, 32], 2)).toBe('composed');
    expect(route([1, 4, 4, 4], [1, 1, 4, 4], 1)).toBe('stock');
    expect(route([2, 6, 6, 4], [3, 3, 4, 4], 2)).toBe('stock');
    // The stock wasm kernel ignores dilation: dilated convolutions always take the composed path.
    expect(route([1, 4, 4, 1], [2, 2, 1, 1], 1, 2)).toBe('composed');
    // The threshold scales with the number of phases (stride²).
    const atStride1 = convGeometry([1, 8, 8, 8], [1, 1, 8, 16], 1, 1, 'valid', undefined, false);
    expect(8 * 8 * 8 * 16).toBe(CONV2D_BACKPROP_INPUT_MIN_MACS);
    expect(conv2DBackpropInputRoute(atStride1)).toBe('composed');
    expect(conv2DBackpropInputRoute({ ...atStride1, strideHeight: 2 })).toBe('stock');

    // Both routes of the registered kernel agree with the cpu kernel.
    let dataFormat: 'NHWC' | undefined;
    for (const [x, f, s] of [
      [[1, 4, 4, 4], [1, 1, 4, 4], 1],
      [[2, 6, 6, 4], [3, 3, 4, 4], 2],
      [[4, 12, 12, 8], [3, 3, 8, 8], 2],
    ] as [number[], number[], number][]) {
      const g = tf.backend_util.computeConv2DInfo(
        x as [number, number, number, number],
        f as [number, number, number, number],
        s,
        1,
        'same',
      );
      const dy = randomTensor(g.outShape, 4);
      const filter = randomTensor(f, 5);
      const run = () =>
        tf
          .engine()
          .runKernel('Conv2DBackpropInput', { dy, filter }, {
            strides: s,
            pad: 'same',
            dataFormat,
            inputShape: x,
          } as never) as tf.Tensor;
      // The stock kernels need `dataFormat`; the registered wasm one also works without it.
      dataFormat = undefined;
      const [got] = await valuesOn('wasm', run);
      dataFormat = 'NHWC';
      const [want] = await valuesOn('cpu', run);
      expect(relativeError(got!, want!), `${x} ${f} ${s}`).toBeLessThan(TOL);
      tf.dispose([dy, filter]);
    }
  });

  it('tf.grad through conv2d on wasm equals cpu (strides, pads, 1×1, dilation)', async () => {
    for (const [i, [xs, fs, stride, pad, dilation]] of (
      [
        [[4, 12, 12, 8], [3, 3, 8, 8], 1, 'same', 1],
        [[4, 12, 12, 8], [3, 3, 8, 16], 2, 'same', 1],
        [[4, 13, 11, 8], [3, 3, 8, 16], 2, explicit, 1],
        [[4, 12, 12, 8], [1, 1, 8, 16], 2, 'valid', 1],
        [[4, 12, 12, 8], [5, 5, 8, 6], 1, 'valid', 1],
        [[4, 12, 12, 8], [3, 3, 8, 8], 1, 'same', 2],
      ] as [number[], number[], number, Pad, number][]
    ).entries()) {
      const x = randomTensor(xs, 10 + i);
      const w = randomTensor(fs, 20 + i);
      const loss = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(
          tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad as never, 'NHWC', dilation)),
        );
      const run = () => tf.grads(loss)([x, w]);
      const [gx, gw] = await valuesOn('wasm', run);
      const [cx, cw] = await valuesOn('cpu', run);
      expect(relativeError(gx!, cx!), `dx ${xs} ${fs} s${stride}`).toBeLessThan(TOL);
      expect(relativeError(gw!, cw!), `dW ${xs} ${fs} s${stride}`).toBeLessThan(TOL);
      expect(Array.from(gx!).some((v) => v !== 0)).toBe(true);
      tf.dispose([x, w]);
    }
  });

  it('second order: the Hessian-vector product through the input gradient equals cpu', async () => {
    // h(W) = ⟨∂/∂x Σ conv(x, W)², v⟩ runs Conv2DBackpropInput forward; its gradient in W
    // differentiates through it (tfjs's Conv2DBackpropInput gradient: Conv2D and the filter gradient).
    const x = randomTensor([4, 10, 10, 8], 31);
    const v = randomTensor([4, 10, 10, 8], 32);
    for (const stride of [1, 2]) {
      const w = randomTensor([3, 3, 8, 8], 33 + stride);
      const run = () =>
        tf.grad((wt: tf.Tensor) => {
          const gx = tf.grad((xt: tf.Tensor) =>
            tf.sum(tf.square(tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, stride, 'same'))),
          )(x);
          return tf.sum(tf.mul(gx, v));
        })(w);
      const [got] = await valuesOn('wasm', run);
      const [want] = await valuesOn('cpu', run);
      expect(relativeError(got!, want!), `stride ${stride}`).toBeLessThan(TOL);
      expect(Array.from(got!).some((e) => e !== 0)).toBe(true);
      w.dispose();
    }
    tf.dispose([x, v]);
  });

  it('frees every intermediate tensor (the host-built filter included)', async () => {
    await tf.setBackend('wasm');
    const dy = randomTensor([4, 6, 6, 16], 1);
    const f = randomTensor([3, 3, 8, 16], 2);
    const run = () => {
      for (const [s, pad] of [
        [2, 'same'],
        [1, explicit],
      ] as [number, Pad][]) {
        const inputShape = s === 2 ? [4, 12, 12, 8] : [4, 5, 7, 8];
        tf.dispose(
          tf
            .engine()
            .runKernel('Conv2DBackpropInput', { dy, filter: f }, {
              strides: s,
              pad,
              inputShape,
            } as never) as tf.Tensor,
        );
      }
    };
    run();
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    run();
    expect(backend.numDataIds()).toBe(before);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([dy, f]);
  });
});
