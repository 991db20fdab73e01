import { describe, expect, it } from 'vitest';
import { createRng } from '@metacompress/core';
import { analyzeCoupling, toFloat32 } from '@metacompress/ir';
import { mlp, plantedCnn } from '../test-graphs';
import { distanceSums, fpgm } from './fpgm';

const ctx = { rng: createRng(0) };

describe('fpgm', () => {
  it('distanceSums sums Euclidean distances to the other vectors', () => {
    const d = distanceSums([new Float32Array([0, 0]), new Float32Array([3, 4]), new Float32Array([6, 8])]);
    expect([...d]).toEqual([15, 10, 15]);
  });

  it('ranks the filter at the geometric median last, though it has the largest norm', async () => {
    // 7 filters of fc1 (16 inputs): the planted one (index 3) is c = 2·e0; the six others are
    // c/2 ± e_k (k = 1, 2, 3), so they are all closer to it than to each other but smaller in norm.
    const planted = 3;
    const rows: number[][] = [];
    const others = [
      [1, 1],
      [1, -1],
      [2, 1],
      [2, -1],
      [3, 1],
      [3, -1],
    ];
    for (let r = 0, o = 0; r < 7; r++) {
      const row = new Array(16).fill(0);
      if (r === planted) row[0] = 2;
      else {
        const [k, sign] = others[o++];
        row[0] = 1;
        row[k] = sign;
      }
      rows.push(row);
    }
    const graph = mlp(7, 1, (i) => rows[Math.floor(i / 16)][i % 16]);
    const group = analyzeCoupling(graph).find((g) => g.id === 'fc1')!;
    const scores = (await fpgm.score(graph, [group], ctx)).get('fc1')!;
    expect(scores.indexOf(Math.min(...scores))).toBe(planted);
    // and it is the largest filter by norm: magnitude criteria would keep it
    const w = toFloat32(graph.initializers.find((t) => t.name === 'fc1.weight')!);
    const norms = rows.map((_, r) => Math.hypot(...w.subarray(r * 16, r * 16 + 16)));
    expect(norms.indexOf(Math.max(...norms))).toBe(planted);
  });

  it('ranks a planted near-zero filter of a random conv layer last (it is near the median, too)', async () => {
    const graph = plantedCnn(7);
    const group = analyzeCoupling(graph).find((g) => g.id === 'block.a')!;
    const scores = (await fpgm.score(graph, [group], ctx)).get('block.a')!;
    expect(scores.indexOf(Math.min(...scores))).toBe(7);
  });
});
