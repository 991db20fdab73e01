import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../engine/init-tfjs';
import { MaxPoolSelect, maxPoolSelectKernel } from './max-pool-select';
import { randomTensor, relativeError, seeded, valuesOn } from '../test-util';

// The wasm backend gets the composed kernels; the cpu backend keeps its own (this file never
// initializes the cpu engine), so cpu results below come from tfjs's reference kernels.
beforeAll(async () => {
  await initTfjs({ prefer: ['wasm'] });
  if (!tf.getKernel(MaxPoolSelect, 'cpu')) tf.registerKernel(maxPoolSelectKernel('cpu'));
});

type Pad =
  'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  stride: number | [number, number];
  pad: Pad;
  dilation: number;
  m: number;
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
] as [number, number, number, number][]) {
  for (const k of [
    [3, 3],
    [1, 1],
    [2, 3],
  ] as [number, number][]) {
    for (const stride of [1, 2, [2, 1]] as (number | [number, number])[]) {
      for (const pad of ['valid', 'same', 1, explicit] as Pad[]) {
        // tfjs-core sizes a numeric pad's output with the filter height and stride in both
        // directions (wrong when they are not square): numeric pads only with square ones.
        if (typeof pad === 'number' && (k[0] !== k[1] || Array.isArray(stride))) continue;
        CASES.push({ x, k, stride, pad, dilation: 1, m: (CASES.length % 3) + 1 });
      }
    }
  }
}
for (const pad of ['valid', 'same', explicit] as Pad[]) {
  for (const m of [1, 2]) CASES.push({ x: [2, 9, 8, 3], k: [3, 3], stride: 1, pad, dilation: 2, m });
}
CASES.push({ x: [1, 11, 11, 2], k: [3, 2], stride: 1, pad: 'same', dilation: 3, m: 1 });

const label = (c: Case) =>
  `x=${c.x} k=${c.k} s=${c.stride} pad=${JSON.stringify(c.pad)} d=${c.dilation} m=${c.m}`;

function geometry(c: Case, depthwise: boolean, filterShape: number[]) {
  return tf.backend_util.computeConv2DInfo(
    c.x,
    filterShape as [number, number, number, number],
    c.stride,
    c.dilation,
    c.pad,
    undefined,
    depthwise,
  );
}

/** The zero-dilated shape of a filter and the every-d-th-tap read-back, for dilated references. */
function dilatedShape(shape: number[], d: number): number[] {
  return [(shape[0]! - 1) * d + 1, (shape[1]! - 1) * d + 1, shape[2]!, shape[3]!];
}
function undilate(t: tf.Tensor, d: number): tf.Tensor {
  return d === 1 ? t : tf.stridedSlice(t, [0, 0, 0, 0], t.shape, [d, d, 1, 1]);
}
function dilate(t: tf.Tensor4D, d: number): tf.Tensor4D {
  if (d === 1) return t;
  const [kh, kw, a, b] = t.shape;
  const buf = tf.buffer(dilatedShape(t.shape, d), 'float32');
  const v = t.dataSync();
  let i = 0;
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let p = 0; p < a; p++) for (let q = 0; q < b; q++) buf.set(v[i++]!, h * d, w * d, p, q);
  return buf.toTensor() as tf.Tensor4D;
}

const TOL = 1e-4;

describe('composed wasm kernels vs the cpu backend’s own kernels', () => {
  it('Conv2DBackpropFilter over strides, pads, dilations and filter sizes (NHWC)', async () => {
    for (const [i, c] of CASES.entries()) {
      const fshape = [c.k[0], c.k[1], c.x[3], 4];
      const g = geometry(c, false, fshape);
      const x = seeded(
        c.x.reduce((a, b) => a * b),
        i,
      );
      const dy = seeded(
        g.outShape.reduce((a, b) => a * b),
        i + 1000,
      );
      const [got] = await valuesOn(
        'wasm',
        () =>
          tf
            .engine()
            .runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, c.x), dy: tf.tensor(dy, g.outShape) }, {
              strides: c.stride,
              pad: c.pad,
              dataFormat: 'NHWC',
              filterShape: fshape,
              dilations: c.dilation,
            } as never) as tf.Tensor,
      );
      const [want] = await valuesOn('cpu', () =>
        undilate(
          tf
            .engine()
            .runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, c.x), dy: tf.tensor(dy, g.outShape) }, {
              strides: c.stride,
              pad: c.pad,
              dataFormat: 'NHWC',
              filterShape: dilatedShape(fshape, c.dilation),
            } as never) as tf.Tensor,
          c.dilation,
        ),
      );
      expect(relativeError(got!, want!), label(c)).toBeLessThan(TOL);
    }
  });

  it('Conv2DBackpropFilter in NCHW', async () => {
    const x = randomTensor([2, 3, 7, 6], 1);
    const dy = randomTensor([2, 5, 4, 3], 2);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 5] } as never;
    const [got] = await valuesOn(
      'wasm',
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor,
    );
    const [want] = await valuesOn(
      'cpu',
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor,
    );
    expect(relativeError(got!, want!)).toBeLessThan(TOL);
  });

  it('DepthwiseConv2dNativeBackpropFilter and …BackpropInput with channel multipliers', async () => {
    for (const [i, c] of CASES.entries()) {
      const fshape = [c.k[0], c.k[1], c.x[3], c.m];
      const g = geometry(c, true, fshape);
      const x = seeded(
        c.x.reduce((a, b) => a * b),
        i + 7,
      );
      const dy = seeded(
        g.outShape.reduce((a, b) => a * b),
        i + 2000,
      );
      const f = seeded(
        fshape.reduce((a, b) => a * b),
        i + 3000,
      );
      const attrs = (extra: object) =>
        ({ strides: c.stride, pad: c.pad, dilations: c.dilation, ...extra }) as never;
      const refAttrs = (extra: object) =>
        ({ strides: c.stride, pad: c.pad, dilations: 1, ...extra }) as never;
      const [gotF, gotX] = await valuesOn('wasm', () => [
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: tf.tensor(x, c.x), dy: tf.tensor(dy, g.outShape) },
            attrs({ filterShape: fshape }),
          ) as tf.Tensor,
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: tf.tensor(dy, g.outShape), filter: tf.tensor(f, fshape) },
            attrs({ inputShape: c.x }),
          ) as tf.Tensor,
      ]);
      // The cpu kernels ignore dilation in their index arithmetic: the reference uses the
      // zero-dilated filter at dilation 1 (the same convolution).
      const [wantF, wantX] = await valuesOn('cpu', () => [
        undilate(
          tf
            .engine()
            .runKernel(
              'DepthwiseConv2dNativeBackpropFilter',
              { x: tf.tensor(x, c.x), dy: tf.tensor(dy, g.outShape) },
              refAttrs({ filterShape: dilatedShape(fshape, c.dilation) }),
            ) as tf.Tensor,
          c.dilation,
        ),
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            {
              dy: tf.tensor(dy, g.outShape),
              filter: dilate(tf.tensor4d(f, fshape as [number, number, number, number]), c.dilation),
            },
            refAttrs({ inputShape: c.x }),
          ) as tf.Tensor,
      ]);
      expect(relativeError(gotF!, wantF!), `filter ${label(c)}`).toBeLessThan(TOL);
      expect(relativeError(gotX!, wantX!), `input ${label(c)}`).toBeLessThan(TOL);
    }
  });

  it('UnsortedSegmentSum (the gradient of gather), with ids out of range dropped', async () => {
    const x = randomTensor([6, 2, 3], 5);
    const ids = tf.tensor1d([0, 3, 3, -1, 1, 7], 'int32');
    const run = () => tf.unsortedSegmentSum(x, ids, 4);
    const [got] = await valuesOn('wasm', run);
    const [want] = await valuesOn('cpu', run);
    expect(relativeError(got!, want!)).toBeLessThan(1e-6);
    expect(Array.from(got!).some((v) => v !== 0)).toBe(true);
    const [g] = await valuesOn('wasm', () =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d([2, 0, 2], 'int32')))))(x),
    );
    const [gc] = await valuesOn('cpu', () =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d([2, 0, 2], 'int32')))))(x),
    );
    expect(relativeError(g!, gc!)).toBeLessThan(1e-6);
  });

  it(`${MaxPoolSelect} is the exact adjoint of MaxPoolGrad, ties included, on wasm and cpu`, async () => {
    for (const backend of ['wasm', 'cpu']) {
      for (const [pad, size, stride] of [
        ['valid', 2, 2],
        ['same', 3, 2],
        ['valid', 3, 1],
      ] as const) {
        // Rounded ReLU outputs: many exact ties (all-zero windows, repeated values).
        const x = tf.tidy(() => tf.relu(tf.round(tf.mul(randomTensor([2, 6, 6, 2], 11), 2))));
        const y = tf.maxPool(x as tf.Tensor4D, size, stride, pad);
        const dy = randomTensor(y.shape, 12);
        const v = randomTensor(x.shape, 13);
        const [lhs, rhs] = await valuesOn(backend, () => {
          const dx = tf
            .engine()
            .runKernel('MaxPoolGrad', { dy, input: x, output: y }, {
              filterSize: size,
              strides: stride,
              pad,
            } as never) as tf.Tensor;
          const sel = tf
            .engine()
            .runKernel(MaxPoolSelect, { values: v, input: x }, {
              filterSize: size,
              strides: stride,
              pad,
            } as never) as tf.Tensor;
          return [tf.sum(tf.mul(dx, v)), tf.sum(tf.mul(dy, sel))];
        });
        expect(Math.abs(lhs![0]! - rhs![0]!), `${backend} ${pad} ${size}/${stride}`).toBeLessThan(1e-5);
        tf.dispose([x, y, dy, v]);
      }
    }
  });

  it('forward convolutions with SAME padding match cpu, 1-wide filters at column stride 2 included', async () => {
    for (const [k, stride] of [
      [[3, 1], 2],
      [
        [2, 1],
        [1, 2],
      ],
      [[3, 3], 2],
    ] as [[number, number], number | [number, number]][]) {
      const x = randomTensor([2, 7, 6, 3], 1) as tf.Tensor4D;
      const f = randomTensor([k[0], k[1], 3, 4], 2) as tf.Tensor4D;
      const d = randomTensor([k[0], k[1], 3, 2], 3) as tf.Tensor4D;
      const run = () => [tf.conv2d(x, f, stride, 'same'), tf.depthwiseConv2d(x, d, stride, 'same')];
      const [gc, gd] = await valuesOn('wasm', run);
      const [wc, wd] = await valuesOn('cpu', run);
      expect(relativeError(gc!, wc!), `conv ${k} ${stride}`).toBeLessThan(1e-5);
      expect(relativeError(gd!, wd!), `depthwise ${k} ${stride}`).toBeLessThan(1e-5);
    }
  });

  it('frees every intermediate tensor', async () => {
    await tf.setBackend('wasm');
    const x = randomTensor([2, 7, 7, 3], 1);
    const dy = randomTensor([2, 4, 4, 6], 2);
    const f = randomTensor([3, 3, 3, 2], 3);
    const run = () => {
      tf.dispose([
        tf
          .engine()
          .runKernel('Conv2DBackpropFilter', { x, dy }, {
            strides: 2,
            pad: 'same',
            dataFormat: 'NHWC',
            filterShape: [3, 3, 3, 6],
          } as never) as tf.Tensor,
        tf
          .engine()
          .runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
            strides: 2,
            pad: 'same',
            dilations: 1,
            filterShape: [3, 3, 3, 2],
          } as never) as tf.Tensor,
        tf
          .engine()
          .runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, {
            strides: 2,
            pad: 'same',
            dilations: 1,
            inputShape: [2, 7, 7, 3],
          } as never) as tf.Tensor,
      ]);
    };
    run();
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    run();
    expect(backend.numDataIds()).toBe(before);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
