import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../features/feature-names';
import {
  POLICY_CHECKPOINT_FORMAT,
  POLICY_CHECKPOINT_VERSION,
  parsePolicyNetwork,
  serializePolicyNetwork,
  type PolicyCheckpoint,
} from './checkpoint';
import { createPolicyNetwork } from './policy-network';

const phi = createPolicyNetwork({
  name: 'test-phi',
  hidden: 6,
  activation: 'tanh',
  bitWidths: [16, 8],
  seed: 4,
});
const text = serializePolicyNetwork(phi, { meta: { learner: 'none', steps: 0 } });
const edit = (f: (c: PolicyCheckpoint) => void): string => {
  const c = JSON.parse(text) as PolicyCheckpoint;
  f(c);
  return JSON.stringify(c);
};
const invalid = (input: string, field: string) =>
  expect(() => parsePolicyNetwork(input, { file: 'phi.json' })).toThrow(
    expect.objectContaining({
      code: 'MC_CHECKPOINT_INVALID',
      details: expect.objectContaining({ field, file: 'phi.json' }),
    }),
  );

describe('policy checkpoints', () => {
  it('round-trip exactly, with version, feature names and meta', () => {
    const json = JSON.parse(text) as PolicyCheckpoint;
    expect(json.format).toBe(POLICY_CHECKPOINT_FORMAT);
    expect(json.version).toBe(POLICY_CHECKPOINT_VERSION);
    expect(json.featureNames).toEqual([...FEATURE_NAMES]);
    expect(json.architecture).toEqual({ hidden: 6, activation: 'tanh', bitWidths: [16, 8] });
    expect(json.params['embed.0.weight'].shape).toEqual([FEATURE_NAMES.length, 6]);
    const back = parsePolicyNetwork(text);
    expect(back.name).toBe('test-phi');
    expect(back.config).toEqual(phi.config);
    expect(back.meta).toEqual({ learner: 'none', steps: 0 });
    for (const [name, v] of Object.entries(phi.params))
      expect(new Uint8Array(back.params[name].buffer)).toEqual(new Uint8Array(v.buffer));
    expect(serializePolicyNetwork(back, { meta: back.meta })).toBe(text);
    // Already-parsed JSON works too.
    expect(parsePolicyNetwork(json).params).toEqual(back.params);
  });

  it('refuses a network trained on other features', () => {
    invalid(
      edit((c) => c.featureNames.pop()),
      'featureNames',
    );
    invalid(
      edit((c) => (c.featureNames[3] = 'op.fancy')),
      'featureNames',
    );
    expect(() => parsePolicyNetwork(edit((c) => (c.featureNames[3] = 'op.fancy')))).toThrow(
      /column 3: "op.fancy" in the checkpoint vs "op.gemm"/,
    );
    // A caller with its own feature list can read such a network.
    const own = ['a', 'b'];
    const small = createPolicyNetwork({ featureNames: own, hidden: 2 });
    expect(
      parsePolicyNetwork(serializePolicyNetwork(small), { featureNames: own }).config.featureNames,
    ).toEqual(own);
  });

  it('names what is wrong in a damaged checkpoint', () => {
    invalid('{"format": "metacompress-policy",', '(root)');
    invalid('[]', '(root)');
    invalid(
      edit((c) => ((c as { format: string }).format = 'other')),
      'format',
    );
    invalid(
      edit((c) => (c.version = 2)),
      'version',
    );
    invalid(
      edit((c) => (c.name = '')),
      'name',
    );
    invalid(
      edit((c) => (c.architecture.hidden = -1)),
      'architecture.hidden',
    );
    invalid(
      edit((c) => (c.architecture.bitWidths = [3 as never])),
      'architecture.bitWidths',
    );
    invalid(
      edit((c) => (c.params['keep.bias'].shape = [2])),
      'params.keep.bias',
    );
    invalid(
      edit((c) => (c.params['keep.bias'].data = 'AAAAAAAA')),
      'params.keep.bias',
    ); // two values for one
    invalid(
      edit((c) => (c.params['keep.bias'].data = '***')),
      'params.keep.bias',
    );
    invalid(
      edit((c) => (c.params['keep.bias'].data = btoa(String.fromCharCode(0, 0, 0xc0, 0x7f)))),
      'params.keep.bias',
    ); // NaN
    invalid(
      edit((c) => delete (c.params as Record<string, unknown>)['bits.bias']),
      'params.bits.bias',
    );
    invalid(
      edit((c) => (c.params['extra'] = c.params['keep.bias'])),
      'params.extra',
    );
    invalid(
      edit((c) => ((c as { meta: unknown }).meta = 3)),
      'meta',
    );
  });
});
