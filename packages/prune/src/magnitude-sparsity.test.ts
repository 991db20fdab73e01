import { resolve } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compress, isMetacompressError, identityPolicy, type Policy } from '@metacompress/core';
import { createTensor, DataType, encodeOnnx, loadOnnx, toFloat32, type Graph } from '@metacompress/ir';
import { magnitudePrune, sparsifyByMagnitude, topMagnitudeMask } from './magnitude-sparsity';
import { FIXTURES, residualCnn } from './test-graphs';

const zerosIn = (g: Graph, name: string): number =>
  toFloat32(g.initializers.find((t) => t.name === name)!).filter((x) => x === 0).length;
const count = (g: Graph, name: string): number =>
  g.initializers.find((t) => t.name === name)!.dims.reduce((a, b) => a * b, 1);

/** Brotli at quality 6, nginx's default `brotli_comp_level`. */
const brotli = (bytes: Uint8Array): number =>
  brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 6 } }).length;

describe('topMagnitudeMask', () => {
  it('keeps exactly `count` of the largest |v|, breaking ties by position', () => {
    expect([...topMagnitudeMask(new Float32Array([0.1, -3, 2, 0]), 2)]).toEqual([0, 1, 1, 0]);
    expect([...topMagnitudeMask(new Float32Array([1, 1, 1, 1]), 3)]).toEqual([1, 1, 1, 0]);
    expect([...topMagnitudeMask(new Float32Array([1, 2]), 0)]).toEqual([0, 0]);
    expect([...topMagnitudeMask(new Float32Array([1, 2]), 5)]).toEqual([1, 1]);
  });
});

describe('sparsifyByMagnitude', () => {
  const graph = residualCnn();
  const weights = ['stem.weight', 'block.a.weight', 'block.b.weight', 'fc.weight'];

  it('layer scope: every selected layer keeps its share, biases untouched, input unchanged', () => {
    const before = JSON.stringify(graph.initializers.map((t) => [...toFloat32(t)]));
    const { graph: sparse, layers } = sparsifyByMagnitude(graph, { keep: 0.25 });
    expect(layers.map((l) => l.tensor)).toEqual(weights);
    for (const w of weights)
      expect(count(sparse, w) - zerosIn(sparse, w)).toBe(Math.round(0.25 * count(sparse, w)));
    expect(zerosIn(sparse, 'block.a.bias')).toBe(0);
    expect(JSON.stringify(graph.initializers.map((t) => [...toFloat32(t)]))).toBe(before);
    // the survivors are the largest of each layer
    const w = toFloat32(graph.initializers.find((t) => t.name === 'fc.weight')!);
    const s = toFloat32(sparse.initializers.find((t) => t.name === 'fc.weight')!);
    const smallestKept = Math.min(...[...s].filter((x) => x !== 0).map(Math.abs));
    const largestDropped = Math.max(...[...w].filter((_, i) => s[i] === 0).map(Math.abs));
    expect(smallestKept).toBeGreaterThanOrEqual(largestDropped);
  });

  it('global scope: one threshold, so the total is exact and layers differ', () => {
    const scaled = {
      ...graph,
      initializers: graph.initializers.map((t) =>
        t.name === 'fc.weight'
          ? createTensor(
              t.name,
              DataType.FLOAT,
              t.dims,
              toFloat32(t).map((x) => 10 + Math.abs(x)),
            )
          : t,
      ),
    };
    const { layers } = sparsifyByMagnitude(scaled, { keep: 0.2, scope: 'global' });
    const total = layers.reduce((a, l) => a + l.elements, 0);
    expect(layers.reduce((a, l) => a + l.kept, 0)).toBe(Math.round(0.2 * total));
    const fc = layers.find((l) => l.tensor === 'fc.weight')!;
    expect(fc.kept).toBe(fc.elements); // every weight of it is larger than any other layer’s
  });

  it('follows the selector (exclude the classifier)', () => {
    const { layers } = sparsifyByMagnitude(graph, { keep: 0.5, selector: { exclude: { names: ['fc'] } } });
    expect(layers.map((l) => l.tensor)).not.toContain('fc.weight');
  });

  it('rejects bad ratios and unknown layers with typed errors', () => {
    expect(() => sparsifyByMagnitude(graph, { keep: 0 })).toThrow(/ratio/);
    try {
      sparsifyByMagnitude(graph, { keep: 0.5, perLayer: { nope: 0.1 } });
      expect.unreachable();
    } catch (e) {
      expect(isMetacompressError(e, 'MC_UNKNOWN_GROUP')).toBe(true);
    }
    try {
      sparsifyByMagnitude(graph, { keep: 0.5, perLayer: { fc: 1.5 } });
      expect.unreachable();
    } catch (e) {
      expect(isMetacompressError(e, 'MC_POLICY_INVALID')).toBe(true);
      expect((e as { details: { group: string } }).details.group).toBe('fc');
    }
  });
});

describe('magnitudePrune operator', () => {
  it('takes the keep ratio from the policy budget, and per-layer ratios from its entries when asked', async () => {
    const graph = residualCnn();
    const policy: Policy = {
      budget: { metric: 'params', ratio: 0.5 },
      groups: [{ group: 'fc', keep: 0.1 }],
      source: 'test',
    };
    const { graph: sparse, steps } = await compress(graph, [magnitudePrune.with({ layerPolicy: true })], {
      policy,
    });
    expect(count(sparse, 'fc.weight') - zerosIn(sparse, 'fc.weight')).toBe(8);
    expect(count(sparse, 'stem.weight') - zerosIn(sparse, 'stem.weight')).toBe(108);
    expect(steps[0].report).toMatchObject({ keep: 0.5, scope: 'layer' });
    // without layerPolicy the entries are left to channel pruning: fc keeps half like the rest
    const { graph: uniform } = await compress(graph, [magnitudePrune], { policy });
    expect(count(uniform, 'fc.weight') - zerosIn(uniform, 'fc.weight')).toBe(40);
    const unknown = await compress(graph, [magnitudePrune.with({ layerPolicy: true })], {
      policy: { ...policy, groups: [{ group: 'conv9', keep: 0.5 }] },
    }).catch((e: unknown) => e);
    expect(isMetacompressError(unknown, 'MC_UNKNOWN_GROUP')).toBe(true);
  });
});

describe('unstructured 10 % on LeNet-300-100 (acceptance)', () => {
  it('the brotli-compressed file is ≥ 5× smaller than the dense original’s', async () => {
    const graph = await loadOnnx(resolve(FIXTURES, 'lenet300.onnx'));
    const original = brotli(encodeOnnx(graph));
    const { graph: pruned } = await compress(graph, [magnitudePrune.with({ keep: 0.1, scope: 'global' })], {
      policy: identityPolicy(),
    });
    const dense = brotli(encodeOnnx(pruned));
    const { graph: stored } = await compress(
      graph,
      [magnitudePrune.with({ keep: 0.1, scope: 'global', storage: 'sparse' })],
      { policy: identityPolicy() },
    );
    const sparseBytes = encodeOnnx(stored);
    const sparse = brotli(sparseBytes);
    console.log(
      `LeNet-300-100, 10 % of weights: brotli(q6) original ${original} B, dense-with-zeros ${dense} B (${(original / dense).toFixed(2)}×), sparse_initializer ${sparse} B (${(original / sparse).toFixed(2)}×; uncompressed ${sparseBytes.length} B)`,
    );
    expect(original / dense).toBeGreaterThanOrEqual(5);
    expect(original / sparse).toBeGreaterThanOrEqual(5);
    expect(sparseBytes.length).toBeLessThan(encodeOnnx(graph).length / 3);
  });
});
