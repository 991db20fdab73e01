import { describe, expect, it } from 'vitest';
import { analyzeCoupling } from '@metacompress/ir';
import { blockNet, Builder } from '../test-graphs';
import { channelImportance, gini, normalizedEntropy } from './channel-importance';

describe('gini and normalizedEntropy', () => {
  it('match hand values', () => {
    expect(gini([1, 1, 1, 1])).toBe(0);
    expect(gini([0, 0, 0, 4])).toBeCloseTo(0.75, 12);
    expect(gini([1, 2, 3])).toBeCloseTo((2 * (1 + 4 + 9)) / (3 * 6) - 4 / 3, 12); // 2/9
    expect(gini([])).toBe(0);
    expect(normalizedEntropy([2, 2, 2, 2])).toBeCloseTo(1, 12);
    expect(normalizedEntropy([0, 0, 5])).toBe(0);
    expect(normalizedEntropy([1, 3])).toBeCloseTo(
      -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)) / Math.log(2),
      12,
    );
  });
});

describe('channelImportance', () => {
  it('is the per-channel L1 of the producing filters, scaled to mean 1', () => {
    const g = new Builder(1);
    const x = g.input('input', ['N', 2, 4, 4]);
    // Filter j (2×3×3 = 18 values) is all (j + 1): L1 = 18 (j + 1).
    const y = g.conv(x, 2, 4, 'c', { weight: (i) => Math.floor(i / 18) + 1 });
    g.conv(g.relu(y, 'r'), 4, 2, 'out');
    g.output('out_out', ['N', 2, 4, 4]);
    const graph = g.build();
    const group = analyzeCoupling(graph).find((c) => c.id === 'c')!;
    const { scores, logScale } = channelImportance(graph, group);
    expect(Array.from(scores)).toEqual([0.4, 0.8, 1.2, 1.6].map((v) => expect.closeTo(v, 12)));
    // mean |w| = 2.5, fan-in 18
    expect(logScale).toBeCloseTo(Math.log(2.5 * Math.sqrt(18)), 6);
  });

  it('weighs each producing slice equally (a depthwise conv as much as a full conv)', () => {
    const graph = blockNet({ c1Weight: (i) => (Math.floor(i / 27) === 0 ? 10 : 1) });
    const group = analyzeCoupling(graph).find((c) => c.id === 'c1')!;
    const { scores } = channelImportance(graph, group);
    // c1 alone: channel 0 scores 10 / mean(10, 1 × 7) = 80 / 17 of its slice; dw's slice is random.
    expect(scores[0]).toBeGreaterThan(2);
    expect(scores[0]).toBeLessThan(80 / 17);
    expect(scores.reduce((a, b) => a + b, 0) / 8).toBeCloseTo(1, 12);
  });
});
