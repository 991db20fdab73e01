import { describe, expect, it } from 'vitest';
import type { InferenceBackend } from '@metacompress/core';
import { compareLatency, singleLayerModels } from './latency-gate';
import { mlpGraph, onnxCheck, randomValues, webBackend } from './test-helpers';
import { quantizeWeight } from './weight-quantizers';
import { toFloat32 } from '@metacompress/ir';

describe('compareLatency', () => {
  it('alternates the order of the two models each round and pairs the ratios', async () => {
    const order: string[] = [];
    const times: Record<string, number[]> = { a: [10, 12, 30, 11], b: [5, 6, 15, 50] };
    const backend: InferenceBackend<string> = {
      name: 'scripted',
      run: async () => ({}),
      evaluate: async () => ({ accuracy: 1, samples: 1 }),
      async latency(model, options) {
        if (options.runs === 1 && options.warmup !== 0)
          return { batchSize: 64, runs: 1, medianMs: 0, p10Ms: 0, p90Ms: 0, minMs: 0, maxMs: 0 };
        order.push(model);
        const ms = times[model].shift()!;
        return {
          batchSize: options.batchSize,
          runs: 1,
          medianMs: ms,
          p10Ms: ms,
          p90Ms: ms,
          minMs: ms,
          maxMs: ms,
        };
      },
    };
    const c = await compareLatency(backend, 'a', 'b', { runs: 4, warmup: 1 });
    expect(order).toEqual(['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']);
    expect(c.referenceMs).toBe(11.5); // median of 10, 12, 30, 11
    expect(c.candidateMs).toBe(10.5); // median of 5, 6, 15, 50
    expect(c.ratio).toBe(0.5); // per-round ratios 0.5, 0.5, 0.5, 4.5
    expect(c.minRatio).toBe(0.5);
    await expect(compareLatency(backend, 'a', 'b', { runs: 0 })).rejects.toThrow(/positive integer/);
  });
});

describe('singleLayerModels', () => {
  it('builds a float and an 8-bit one-node model that load and run in onnxruntime-web', async () => {
    const g = mlpGraph({ inDim: 8, hidden: 16 });
    const node = g.nodes[0];
    const constants = new Map(g.initializers.map((t) => [t.name, t] as const));
    const w = constants.get('fc1.weight')!;
    const { float, int8 } = singleLayerModels({
      node,
      weight: quantizeWeight(toFloat32(w), w.dims, { scheme: 'int8' }),
      constants,
      inputShape: ['N', 8],
      opset: 13,
    });
    const web = await webBackend();
    const y = await web.run(float, { x: { dims: [2, 8], data: randomValues(16, 2) } });
    expect(y.y.dims).toEqual([2, 16]);
    const q = await web.run(int8, { x: { dims: [2, 8], data: new Uint8Array(16).fill(50) } });
    expect(q.y.data).toBeInstanceOf(Uint8Array);
    expect((await web.latency(int8, { batchSize: 64, warmup: 1, runs: 2 })).medianMs).toBeGreaterThan(0);
    onnxCheck(int8);
  });
});
