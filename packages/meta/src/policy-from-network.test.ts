import { validatePolicy } from '@metacompress/core';
import { analyzeCoupling, costOf, loadOnnx, removeChannels, type Graph } from '@metacompress/ir';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureIndex, FEATURE_NAMES } from './features/feature-names';
import { parsePolicyNetwork, serializePolicyNetwork } from './network/checkpoint';
import { createPolicyNetwork, type PolicyNetwork } from './network/policy-network';
import { policyFromNetwork } from './policy-from-network';
import { FIXTURES } from './test-graphs';

let lenet: Graph;
let resnet: Graph;
beforeAll(async () => {
  lenet = await loadOnnx(`${FIXTURES}/lenet5.onnx`);
  resnet = await loadOnnx(`${FIXTURES}/resnet-bn.onnx`);
});

/** Φ wired by hand so that keep logit = 10 × (a feature) and the bit head prefers 8 bits. */
function wiredNetwork(feature: string): PolicyNetwork {
  const phi = createPolicyNetwork({ name: `wired-${feature}`, hidden: 4 });
  for (const v of Object.values(phi.params)) v.fill(0);
  phi.params['embed.0.weight'][featureIndex(feature) * 4] = 1;
  phi.params['embed.1.weight'][0] = 1;
  phi.params['head.0.weight'][0] = 1;
  phi.params['keep.weight'][0] = 10;
  phi.params['bits.bias'].set([0, 1, 2, -1]); // [32, 16, 8, 4]
  return phi;
}

describe('policyFromNetwork', () => {
  it('returns a valid core Policy that meets the budget, checked by really pruning', () => {
    const budget = { metric: 'params', ratio: 0.4 } as const;
    const policy = policyFromNetwork(resnet, budget, createPolicyNetwork({ name: 'seed-3', seed: 3 }));
    expect(validatePolicy(policy)).toEqual(policy);
    expect(policy.source).toBe('meta:seed-3');
    expect(policy.budget).toEqual(budget);
    expect(policy.groups.length).toBe(9);
    expect(policy.groups.every((g) => g.weightBits === undefined)).toBe(true);
    expect(policy.meta).toMatchObject({ network: 'seed-3', withinTolerance: true });
    // Keep the first round(keep·C) channels of each group and count for real.
    const channelsOf = new Map<string, number>([
      ['/stem/stem.0/Conv', 16],
      ['/layers/layers.0/conv1/Conv', 16],
      ['/layers/layers.1/conv1/Conv', 16],
      ['/layers/layers.2/downsample/downsample.0/Conv', 32],
      ['/layers/layers.2/conv1/Conv', 32],
      ['/layers/layers.3/conv1/Conv', 32],
      ['/layers/layers.4/downsample/downsample.0/Conv', 64],
      ['/layers/layers.4/conv1/Conv', 64],
      ['/layers/layers.5/conv1/Conv', 64],
    ]);
    const keepMap = Object.fromEntries(
      policy.groups.map((g) => {
        const n = Math.round(g.keep * channelsOf.get(g.group)!);
        expect(n / channelsOf.get(g.group)!).toBe(g.keep); // keep ratios are exact counts
        return [g.group, Array.from({ length: n }, (_, j) => j)];
      }),
    );
    const achieved = costOf(removeChannels(resnet, keepMap)).params / costOf(resnet).params;
    expect(Math.abs(achieved - 0.4)).toBeLessThanOrEqual(0.004);
    expect(achieved).toBeCloseTo(policy.meta!.achieved as number, 12);
  });

  it('follows what the network says: deeper groups keep more when the logit is the depth', () => {
    const policy = policyFromNetwork(lenet, { metric: 'params', ratio: 0.5 }, wiredNetwork('depth'), {
      bits: true,
    });
    const logits = policy.meta!.keepLogits as number[];
    expect(logits.every((l, i) => i === 0 || l > logits[i - 1])).toBe(true);
    const fc = policy.groups.filter((g) => g.group.includes('fc'));
    expect(fc[0].keep).toBeLessThan(fc[1].keep);
    expect(policy.groups.every((g) => g.weightBits === 8)).toBe(true);
    // Wired to another feature, the same network ranks groups differently.
    const byShare = policyFromNetwork(lenet, { metric: 'params', ratio: 0.5 }, wiredNetwork('param_share'));
    const fc1 = byShare.groups.find((g) => g.group === '/fc1/Gemm')!;
    const fc2 = byShare.groups.find((g) => g.group === '/fc2/Gemm')!;
    expect(fc1.keep).toBeGreaterThan(fc2.keep); // fc1 holds most parameters, so it scores higher
  });

  it('gives the same policy after a checkpoint round trip, and passes sensitivity and rounding through', () => {
    const phi = createPolicyNetwork({ name: 'rt', seed: 8 });
    const budget = { metric: 'macs', ratio: 0.6 } as const;
    const a = policyFromNetwork(resnet, budget, phi, { bits: true, roundTo: 4 });
    const b = policyFromNetwork(resnet, budget, parsePolicyNetwork(serializePolicyNetwork(phi)), {
      bits: true,
      roundTo: 4,
    });
    expect(b).toEqual(a);
    const channels = new Map(analyzeCoupling(resnet).map((g) => [g.id, g.channels]));
    for (const g of a.groups) {
      const n = g.keep * channels.get(g.group)!;
      expect(n === channels.get(g.group) || n % 4 === 0).toBe(true);
    }
    const withS = policyFromNetwork(resnet, budget, phi, { sensitivity: { '/stem/stem.0/Conv': 2 } });
    expect(withS.meta!.keepLogits).not.toEqual(a.meta!.keepLogits);
  });

  it('refuses a network trained on other features, and a latency budget', () => {
    const other = createPolicyNetwork({ featureNames: [...FEATURE_NAMES.slice(1), 'extra'] });
    expect(() => policyFromNetwork(lenet, { metric: 'params', ratio: 0.5 }, other)).toThrow(
      expect.objectContaining({ code: 'MC_CHECKPOINT_INVALID' }),
    );
    expect(() => policyFromNetwork(lenet, { metric: 'latency', ratio: 0.5 }, createPolicyNetwork())).toThrow(
      expect.objectContaining({ code: 'MC_BUDGET_INVALID' }),
    );
  });
});
