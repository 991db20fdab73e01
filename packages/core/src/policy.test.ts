import { describe, expect, it } from 'vitest';
import { isMetacompressError, type MetacompressError } from './errors';
import { parseBudget } from './budget';
import { parsePolicy, validatePolicy } from './policy';

function errorOf(fn: () => unknown): MetacompressError {
  try {
    fn();
  } catch (error) {
    if (isMetacompressError(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

const good = { budget: { metric: 'macs', ratio: 0.5 }, groups: [{ group: 'conv1', keep: 0.5, weightBits: 8 }], source: 'test' };

describe('validatePolicy', () => {
  it('accepts a well-formed policy and keeps its fields', () => {
    expect(validatePolicy(good)).toEqual(good);
  });

  it('rejects malformed JSON with MC_POLICY_PARSE', () => {
    const e = errorOf(() => parsePolicy('{"budget": ', { file: 'p.json' }));
    expect(e.code).toBe('MC_POLICY_PARSE');
    expect(e.message).toContain("file 'p.json'");
  });

  it.each([
    [0, 'zero'],
    [1.5, 'above one'],
    [Number.NaN, 'NaN'],
    [-0.1, 'negative'],
    ['0.5', 'a string'],
  ] as [unknown, string][])('rejects keep=%s (%s) naming the field', (keep) => {
    const e = errorOf(() => validatePolicy({ ...good, groups: [{ group: 'conv1', keep }] }));
    expect(e.code).toBe('MC_POLICY_INVALID');
    expect(e.details.field).toBe('groups[0].keep');
    expect(e.message).toContain('groups[0].keep');
  });

  it.each([0, 1.5, Number.NaN])('rejects a budget ratio of %s naming budget.ratio', (ratio) => {
    const e = errorOf(() => validatePolicy({ ...good, budget: { metric: 'macs', ratio } }));
    expect(e.code).toBe('MC_POLICY_INVALID');
    expect(e.details.field).toBe('budget.ratio');
  });

  it('rejects an unknown group when the graph groups are known', () => {
    const e = errorOf(() => validatePolicy(good, { knownGroups: ['conv2'] }));
    expect(e.code).toBe('MC_UNKNOWN_GROUP');
    expect(e.details.group).toBe('conv1');
    expect(e.details.field).toBe('groups[0].group');
  });

  it('rejects duplicate groups, bad bit widths and non-object roots', () => {
    expect(errorOf(() => validatePolicy({ ...good, groups: [good.groups[0], good.groups[0]] })).details.field).toBe('groups[1].group');
    expect(errorOf(() => validatePolicy({ ...good, groups: [{ group: 'a', keep: 1, weightBits: 3 }] })).details.field).toBe(
      'groups[0].weightBits',
    );
    expect(errorOf(() => validatePolicy([])).details.field).toBe('(root)');
    expect(errorOf(() => validatePolicy({ ...good, budget: { metric: 'flops', ratio: 1 } })).details.field).toBe('budget.metric');
  });
});

describe('parseBudget', () => {
  it('parses metric=ratio and percentages', () => {
    expect(parseBudget('macs=0.25')).toEqual({ metric: 'macs', ratio: 0.25 });
    expect(parseBudget('params=50%')).toEqual({ metric: 'params', ratio: 0.5 });
  });
  it.each(['macs=0', 'macs=2', 'flops=0.5', 'macs', 'macs=abc'])('rejects %s', (text) => {
    expect(errorOf(() => parseBudget(text)).code).toBe('MC_BUDGET_INVALID');
  });
});
