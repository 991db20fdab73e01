import { describe, expect, it } from 'vitest';
import {
  activationFakeQuantSpec,
  fakeQuantize,
  fakeQuantizeGrad,
  weightFakeQuantSpec,
  type FakeQuantSpec,
} from './fake-quant';
import { computeQuantParams, dequantizeValues, quantizeValues } from './qparams';
import { dequantizeWeight, quantizeWeight } from './weight-quantizers';
import { randomValues, thrownBy } from './test-helpers';

const dims = [4, 2, 3, 3];
const w = randomValues(72, 17, 0.4);

describe('fakeQuantize', () => {
  it('equals dequantize(quantize(x)) for activations', () => {
    const p = computeQuantParams(0, 4, { dataType: 'uint8' });
    const spec = activationFakeQuantSpec('relu1', p);
    const x = Float32Array.from(randomValues(200, 3, 5));
    expect(Array.from(fakeQuantize(x, spec))).toEqual(Array.from(dequantizeValues(quantizeValues(x, p), p)));
    expect(spec).toEqual(JSON.parse(JSON.stringify(spec))); // plain JSON for other executors
  });

  for (const scheme of ['int8', 'int4', 'ternary', 'binary'] as const) {
    it(`reproduces the deployed ${scheme} weights`, () => {
      const spec = weightFakeQuantSpec('conv.weight', w, dims, { scheme });
      const deployed = dequantizeWeight(quantizeWeight(w, dims, { scheme }));
      const fq = fakeQuantize(w, spec, dims);
      for (let i = 0; i < w.length; i++) expect(fq[i]).toBeCloseTo(deployed[i], 6);
      expect(spec.kind).toBe('weight');
      expect(spec.scale).toHaveLength(4);
    });
  }

  it('needs dims for per-channel specs', () => {
    const spec = weightFakeQuantSpec('w', w, dims, { scheme: 'int8' });
    expect(thrownBy(() => fakeQuantize(w, spec)).code).toBe('MC_INVALID_ARGUMENT');
    expect(thrownBy(() => fakeQuantize(w, spec, [8, 9])).code).toBe('MC_SHAPE_MISMATCH');
  });
});

describe('fakeQuantizeGrad (straight-through estimator)', () => {
  const spec: FakeQuantSpec = {
    tensor: 'x',
    kind: 'activation',
    scheme: 'affine',
    bits: 8,
    qmin: 0,
    qmax: 255,
    scale: [0.1],
    zeroPoint: [0],
  };

  it('passes the gradient inside the range and blocks it where the clamp cuts', () => {
    const x = Float32Array.of(-1, -0.04, 0, 12.3, 25.5, 25.56, 30);
    const dy = Float32Array.of(1, 2, 3, 4, 5, 6, 7);
    expect(Array.from(fakeQuantizeGrad(x, dy, spec))).toEqual([0, 2, 3, 4, 5, 0, 0]);
  });

  it('matches a finite-difference slope of the fake-quant forward away from rounding steps (on average)', () => {
    // Over a whole step the rounding averages out: the mean slope inside the range is 1, outside 0.
    const slope = (a: number, b: number): number =>
      (fakeQuantize([b], spec)[0] - fakeQuantize([a], spec)[0]) / (b - a);
    expect(slope(1, 11)).toBeCloseTo(1, 5);
    expect(slope(30, 40)).toBe(0);
    expect(fakeQuantizeGrad([5], [1], spec)[0]).toBe(1);
    expect(fakeQuantizeGrad([35], [1], spec)[0]).toBe(0);
  });

  it('is the identity for binary and ternary weights (latent float weights are trained)', () => {
    const b = weightFakeQuantSpec('w', w, dims, { scheme: 'binary' });
    const dy = randomValues(72, 4);
    expect(Array.from(fakeQuantizeGrad(w, dy, b, dims))).toEqual(Array.from(dy));
    expect(thrownBy(() => fakeQuantizeGrad(w, dy.subarray(1), b, dims)).code).toBe('MC_SHAPE_MISMATCH');
  });
});
