import { beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '@metacompress/core';
import { loadOnnx, type Graph } from '@metacompress/ir';
import { planWeights, schemeForBits } from './plan';
import { fixturePath, mlpGraph, thrownBy } from './test-helpers';

const policy = (groups: Policy['groups']): Policy => ({
  budget: { metric: 'bytes', ratio: 0.25 },
  groups,
  source: 'test',
});
let resnet: Graph;

beforeAll(async () => {
  resnet = await loadOnnx(fixturePath('resnet'));
});

describe('planWeights', () => {
  it("gives every node that produces a group the group's bits (a residual stage is one group)", () => {
    const stage = '/layers/layers.2/downsample/downsample.0/Conv';
    const plans = planWeights(resnet, policy([{ group: stage, keep: 1, weightBits: 4 }]), { bits: 8 });
    const four = plans.filter((p) => p.bits === 4).map((p) => p.label);
    // The downsample conv and the second conv of both blocks of the stage write the same channels.
    expect(four).toEqual([
      '/layers/layers.2/downsample/downsample.0/Conv',
      '/layers/layers.2/conv2/Conv',
      '/layers/layers.3/conv2/Conv',
    ]);
    expect(
      plans.filter((p) => p.bits === 4).every((p) => p.source === 'policy' && p.groups.includes(stage)),
    ).toBe(true);
    expect(plans.filter((p) => p.bits === 8).every((p) => p.source === 'default')).toBe(true);
    expect(plans).toHaveLength(16);
  });

  it('takes the default bits and the selector', () => {
    const g = mlpGraph();
    const plans = planWeights(g, undefined, {
      bits: 16,
      selector: { opTypes: ['Gemm'], exclude: { names: ['fc2'] } },
    });
    expect(plans.map((p) => [p.label, p.bits, p.axis, p.staticEligible, p.dynamicEligible])).toEqual([
      ['fc1', 16, 0, true, true],
    ]);
  });

  it('ignores policy groups without weightBits and rejects unknown or unsupported ones', () => {
    expect(planWeights(resnet, policy([{ group: 'nope', keep: 0.5 }])).every((p) => p.bits === 8)).toBe(true);
    const unknown = thrownBy(() => planWeights(resnet, policy([{ group: 'nope', keep: 1, weightBits: 4 }])));
    expect(unknown.code).toBe('MC_UNKNOWN_GROUP');
    expect(thrownBy(() => planWeights(resnet, undefined, { bits: 6 })).code).toBe('MC_UNSUPPORTED_BITS');
  });

  it('maps bits to schemes', () => {
    expect([32, 16, 8, 4, 2, 1].map((b) => schemeForBits(b))).toEqual([
      undefined,
      'fp16',
      'int8',
      'int4',
      'ternary',
      'binary',
    ]);
    expect(thrownBy(() => schemeForBits(3, { node: 'fc1' })).details.node).toBe('fc1');
  });
});
