import { describe, expect, it } from 'vitest';
import { loadOnnx, toFloat32 } from '@metacompress/ir';
import { loadMnist } from '@metacompress/tasks';
import { fakeQuantize } from './fake-quant';
import { fakeQuantSpecs } from './qat';
import { quantize } from './quantize-operator';
import { fixturePath, ortRegistry, webBackend } from './test-helpers';
import { dequantizeWeight, quantizeWeight } from './weight-quantizers';

describe('fakeQuantSpecs', () => {
  it('describes exactly what the quantize operator deploys', async () => {
    const lenet = await loadOnnx(fixturePath('lenet5'));
    const calibration = (await loadMnist({ split: 'train' })).subset(Array.from({ length: 64 }, (_, i) => i));
    const policy = {
      budget: { metric: 'bytes' as const, ratio: 1 },
      groups: [{ group: '/fc1/Gemm', keep: 1, weightBits: 4 as const }],
      source: 'test',
    };
    const specs = await fakeQuantSpecs(lenet, policy, {
      backend: await webBackend(),
      calibration,
      limit: 64,
    });
    const weights = specs.filter((s) => s.kind === 'weight');
    expect(weights.map((s) => [s.tensor, s.bits])).toEqual([
      ['conv1.weight', 8],
      ['conv2.weight', 8],
      ['fc1.weight', 4],
      ['fc2.weight', 8],
      ['fc3.weight', 8],
    ]);
    const fc1 = lenet.initializers.find((t) => t.name === 'fc1.weight')!;
    const fq = fakeQuantize(toFloat32(fc1), weights[2], fc1.dims);
    const deployed = dequantizeWeight(
      quantizeWeight(toFloat32(fc1), fc1.dims, { scheme: 'int4', method: 'mse' }),
    );
    for (let i = 0; i < fq.length; i += 97) expect(fq[i]).toBeCloseTo(deployed[i], 6);

    // Activation specs carry the scales the static QDQ graph uses.
    const acts = specs.filter((s) => s.kind === 'activation');
    const q = await quantize.apply(
      lenet,
      policy,
      { rng: {} as never, progress: { emit: () => {} }, backends: ortRegistry(), data: { calibration } },
      {
        mode: 'static',
        gate: false,
        calibrationSamples: 64,
      },
    );
    const scales = new Map<string, number>();
    for (const n of q.graph.nodes.filter((n) => n.opType === 'QuantizeLinear')) {
      const s = q.graph.initializers.find((t) => t.name === n.inputs[1])!;
      scales.set(n.inputs[0], toFloat32(s)[0]);
    }
    // fc1 has 4 bits (weight-only), so the operator quantizes fewer activations than a full int8 plan.
    const shared = acts.filter((s) => scales.has(s.tensor));
    expect(shared.length).toBeGreaterThanOrEqual(3);
    for (const s of shared) expect(s.scale[0]).toBeCloseTo(scales.get(s.tensor)!, 7);
    expect(acts.every((s) => s.qmin === 0 && s.qmax === 255)).toBe(true);
  });

  it('gives weight specs only without calibration data, none for float16', async () => {
    const lenet = await loadOnnx(fixturePath('lenet5'));
    expect((await fakeQuantSpecs(lenet, undefined, { bits: 16 })).length).toBe(0);
    const ternary = await fakeQuantSpecs(lenet, undefined, { bits: 2 });
    expect(
      ternary.every(
        (s) => s.kind === 'weight' && s.scheme === 'ternary' && s.threshold?.length === s.scale.length,
      ),
    ).toBe(true);
  });
});
