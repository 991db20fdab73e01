import { describe, expect, it } from 'vitest';
import { createRng } from '@metacompress/core';
import { analyzeCoupling } from '@metacompress/ir';
import { plantedCnn } from '../test-graphs';
import { randomImportance } from './random';

describe('randomImportance (the control)', () => {
  const graph = plantedCnn(4);
  const group = analyzeCoupling(graph).find((g) => g.id === 'block.a')!;

  it('is deterministic for a seed and differs between seeds', async () => {
    const a = (await randomImportance.score(graph, [group], { rng: createRng(1) })).get('block.a')!;
    const b = (await randomImportance.score(graph, [group], { rng: createRng(1) })).get('block.a')!;
    const c = (await randomImportance.score(graph, [group], { rng: createRng(2) })).get('block.a')!;
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
  });

  it('does not find the planted channel: it is ranked last about 1 time in 12, as chance says', async () => {
    let last = 0;
    const trials = 240;
    for (let seed = 0; seed < trials; seed++) {
      const s = (await randomImportance.score(graph, [group], { rng: createRng(seed) })).get('block.a')!;
      if (s.indexOf(Math.min(...s)) === 4) last++;
    }
    // expected 20 of 240; a criterion that found the plant would score 240
    expect(last).toBeGreaterThan(5);
    expect(last).toBeLessThan(45);
  });
});
