import { describe, expect, it } from 'vitest';
import { createRng } from './rng';

describe('createRng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = Array.from({ length: 5 }, createRng(7).next);
    const rng = createRng(7);
    expect(Array.from({ length: 5 }, () => rng.next())).toEqual(a);
    const other = createRng(8);
    expect(Array.from({ length: 5 }, () => other.next())).not.toEqual(a);
  });

  it('gives uniform floats in [0,1) and standard normals with the right moments', () => {
    const rng = createRng(1);
    let sum = 0;
    let sq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      expect(u >= 0 && u < 1).toBe(true);
      const z = rng.normal();
      sum += z;
      sq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05);
  });

  it('forks stable, independent streams and shuffles deterministically', () => {
    expect(createRng(3).fork('a').next()).toBe(createRng(3).fork('a').next());
    expect(createRng(3).fork('a').next()).not.toBe(createRng(3).fork('b').next());
    const items = createRng(5).shuffle([...Array(10).keys()]);
    expect([...items].sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
    expect(createRng(5).shuffle([...Array(10).keys()])).toEqual(items);
  });
});
