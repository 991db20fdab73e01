import { describe, expect, it } from 'vitest';
import {
  BackendRegistry,
  createRng,
  isMetacompressError,
  type DifferentiableBackend,
  type LabeledBatch,
} from '@metacompress/core';
import { analyzeCoupling, toFloat32, type Graph } from '@metacompress/ir';
import { randomDataset, residualCnn } from '../test-graphs';
import { taylorCriterion } from './taylor';

/**
 * A fake differentiable backend: the gradient of every weight is the weight itself (so g·w > 0),
 * except that every parameter of channel `dead` of group block.a gets gradient 0 — the loss does
 * not depend on that channel, so removing it costs nothing to first order.
 */
function fakeBackend(dead: number, calls: LabeledBatch[][]): DifferentiableBackend<Graph> {
  return {
    name: 'fake',
    engine: 'fake',
    async weightGradients(graph, batches) {
      calls.push([...batches]);
      const grads = new Map<string, Float32Array>();
      for (const t of graph.initializers) {
        const g = Float32Array.from(toFloat32(t));
        const zero = (axis: number): void => {
          let inner = 1;
          for (let i = axis + 1; i < t.dims.length; i++) inner *= t.dims[i];
          for (let i = 0; i < g.length; i++) if (Math.floor(i / inner) % t.dims[axis] === dead) g[i] = 0;
        };
        if (t.name.startsWith('block.a')) zero(0);
        if (t.name === 'block.b.weight') zero(1);
        grads.set(t.name, g);
      }
      return grads;
    },
    async evaluate() {
      return { accuracy: 0, samples: 0 };
    },
  };
}

describe('taylorCriterion', () => {
  const graph = residualCnn();
  const group = analyzeCoupling(graph).find((g) => g.id === 'block.a')!;

  it('ranks the channel the loss does not depend on last, one gradient call per batch', async () => {
    const calls: LabeledBatch[][] = [];
    const registry = new BackendRegistry();
    registry.register({
      name: 'fake',
      kind: 'differentiable',
      priority: 1,
      init: () => fakeBackend(6, calls),
    });
    const criterion = taylorCriterion({ batches: 3, batchSize: 8 });
    const data = randomDataset([3, 6, 6], 10, 64);
    const scores = (
      await criterion.score(graph, [group], {
        rng: createRng(0),
        backends: registry,
        data: { calibration: data },
      })
    ).get('block.a')!;
    expect(scores.indexOf(Math.min(...scores))).toBe(6);
    expect(scores[6]).toBe(0);
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.length === 1 && c[0].inputs.dims[0] === 8)).toBe(true);
  });

  it('needs data (MC_EMPTY_DATASET) and a differentiable backend (MC_NO_BACKEND)', async () => {
    const criterion = taylorCriterion();
    const noData = await criterion
      .score(graph, [group], { rng: createRng(0), backends: new BackendRegistry(), data: {} })
      .catch((e: unknown) => e);
    expect(isMetacompressError(noData, 'MC_EMPTY_DATASET')).toBe(true);
    const noBackend = await criterion
      .score(graph, [group], {
        rng: createRng(0),
        backends: new BackendRegistry(),
        data: { train: randomDataset([3, 6, 6], 10, 8) },
      })
      .catch((e: unknown) => e);
    expect(isMetacompressError(noBackend, 'MC_NO_BACKEND')).toBe(true);
  });

  it('rejects bad options', () => {
    expect(() => taylorCriterion({ batches: 0 })).toThrow(/batches/);
  });
});
