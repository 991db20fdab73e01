import { describe, expect, it } from 'vitest';
import { compress, identityPolicy } from '@metacompress/core';
import { toFloat32, type Graph } from '@metacompress/ir';
import { nmSparsity, sparsifyNM } from './n-m-sparsity';
import { Builder, residualCnn } from './test-graphs';

const valuesOf = (g: Graph, name: string): Float32Array =>
  toFloat32(g.initializers.find((t) => t.name === name)!);

/** Non-zeros of each block of m consecutive elements along `axis` (dims row-major). */
function blockCounts(v: Float32Array, dims: readonly number[], axis: number, m: number): number[] {
  let inner = 1;
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i];
  const len = dims[axis];
  const outer = v.length / (len * inner);
  const counts: number[] = [];
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++)
      for (let s = 0; s < len; s += m) {
        let nz = 0;
        for (let k = s; k < Math.min(len, s + m); k++) if (v[(o * len + k) * inner + i] !== 0) nz++;
        counts.push(nz);
      }
  return counts;
}

describe('sparsifyNM', () => {
  const graph = residualCnn();

  it('2:4 keeps exactly 2 of every 4 weights along the input channels of convs and K of Gemm', () => {
    const { graph: sparse, layers } = sparsifyNM(graph, { n: 2, m: 4 });
    // conv weights [Cout, Cin, k, k]: blocks along Cin (axis 1); stem has Cin = 3 < 4 and stays dense
    expect(layers.find((l) => l.tensor === 'stem.weight')?.skipped).toMatch(/3 < 4/);
    for (const [name, dims] of [
      ['block.a.weight', [12, 8, 3, 3]],
      ['block.b.weight', [8, 12, 3, 3]],
      ['fc.weight', [10, 8]],
    ] as const) {
      const axis = name === 'fc.weight' ? 1 : 1;
      expect(new Set(blockCounts(valuesOf(sparse, name), dims, axis, 4))).toEqual(new Set([2]));
    }
    // and the survivors are the two largest of each block
    const w = valuesOf(graph, 'fc.weight');
    const s = valuesOf(sparse, 'fc.weight');
    for (let b = 0; b < 20; b++) {
      const block = [0, 1, 2, 3].map((k) => b * 4 + k);
      const kept = block.filter((i) => s[i] !== 0).map((i) => Math.abs(w[i]));
      const dropped = block.filter((i) => s[i] === 0).map((i) => Math.abs(w[i]));
      expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(...dropped));
    }
  });

  it('4:8 and a Gemm with transB = 0 (blocks along axis 0) and a short final block', () => {
    const b = new Builder(2);
    const x = b.input('x', ['N', 12]);
    const w = b.init('w', [12, 5]);
    b.op('Gemm', [x, w], {}, 'fc', 'y');
    b.output('y', ['N', 5]);
    const g = b.build();
    const { graph: sparse, layers } = sparsifyNM(g, { n: 4, m: 8 });
    expect(blockCounts(valuesOf(sparse, 'w'), [12, 5], 0, 8)).toEqual([4, 2, 4, 2, 4, 2, 4, 2, 4, 2]);
    expect(layers[0].kept).toBe(30);
  });

  it('rejects N > M', () => {
    expect(() => sparsifyNM(graph, { n: 5, m: 4 })).toThrow(/N:M/);
  });

  it('runs as an operator on a frozen graph', async () => {
    const { graph: sparse, steps } = await compress(graph, [nmSparsity.with({ n: 1, m: 4 })], {
      policy: identityPolicy(),
    });
    expect(new Set(blockCounts(valuesOf(sparse, 'fc.weight'), [10, 8], 1, 4))).toEqual(new Set([1]));
    expect(steps[0].report).toMatchObject({ n: 1, m: 4 });
  });
});
