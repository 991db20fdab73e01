import { checkRatio, describe, validateBudget, type Budget } from './budget';
import { ErrorCodes, MetacompressError } from './errors';

/** Weight bit widths a policy may ask for. 32 means "keep float32". */
export const WEIGHT_BITS = [32, 16, 8, 4, 2, 1] as const;
export type WeightBits = (typeof WEIGHT_BITS)[number];

/**
 * What to do with one coupling group: keep this share of its channels, store weights in this many bits.
 *
 * @example
 * const g: GroupPolicy = { group: 'conv1', keep: 0.5, weightBits: 8 };
 */
export interface GroupPolicy {
  group: string;
  keep: number;
  weightBits?: WeightBits;
}

/**
 * A complete, JSON-serializable compression policy: the budget it was made for, one entry per
 * group it touches (groups not listed are left alone) and where it came from.
 *
 * @example
 * const policy: Policy = { budget: { metric: 'macs', ratio: 0.5 }, groups: [{ group: 'conv1', keep: 0.5 }], source: 'uniform' };
 */
export interface Policy {
  budget: Budget;
  groups: GroupPolicy[];
  source: string;
  /** Free-form extra information (e.g. predicted vs projected logits); must be JSON. */
  meta?: Record<string, unknown>;
}

/** Options for {@link validatePolicy}. */
export interface ValidatePolicyOptions {
  /** When given, every group of the policy must be one of these. */
  knownGroups?: Iterable<string>;
  /** Named in error messages (e.g. the policy file path). */
  file?: string;
}

function fail(code: string, reason: string, field: string, file?: string, group?: string): never {
  throw new MetacompressError(code, reason, { field, ...(file ? { file } : {}), ...(group ? { group } : {}) });
}

/**
 * Validates an untrusted value as a {@link Policy}; every error names the offending field
 * (e.g. `groups[2].keep`) and, with `knownGroups`, rejects groups the graph does not have.
 *
 * @example
 * const policy = validatePolicy(JSON.parse(text), { knownGroups: ['conv1', 'conv2'] });
 */
export function validatePolicy(value: unknown, options: ValidatePolicyOptions = {}): Policy {
  const { file } = options;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(ErrorCodes.POLICY_INVALID, `a policy must be an object, got ${describe(value)}`, '(root)', file);
  }
  const raw = value as Record<string, unknown>;
  let budget: Budget;
  try {
    budget = validateBudget(raw.budget, 'budget');
  } catch (error) {
    const e = error as MetacompressError;
    fail(ErrorCodes.POLICY_INVALID, e.reason, String(e.details.field), file);
  }
  if (raw.source !== undefined && typeof raw.source !== 'string') {
    fail(ErrorCodes.POLICY_INVALID, `source must be a string, got ${describe(raw.source)}`, 'source', file);
  }
  if (!Array.isArray(raw.groups)) {
    fail(ErrorCodes.POLICY_INVALID, `groups must be an array, got ${describe(raw.groups)}`, 'groups', file);
  }
  if (raw.meta !== undefined && (typeof raw.meta !== 'object' || raw.meta === null || Array.isArray(raw.meta))) {
    fail(ErrorCodes.POLICY_INVALID, `meta must be an object, got ${describe(raw.meta)}`, 'meta', file);
  }
  const known = options.knownGroups ? new Set(options.knownGroups) : undefined;
  const seen = new Set<string>();
  const groups = (raw.groups as unknown[]).map((entry, i): GroupPolicy => {
    const at = `groups[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      fail(ErrorCodes.POLICY_INVALID, `expected an object, got ${describe(entry)}`, at, file);
    }
    const { group, keep, weightBits } = entry as Record<string, unknown>;
    if (typeof group !== 'string' || group.length === 0) {
      fail(ErrorCodes.POLICY_INVALID, `group must be a non-empty string, got ${describe(group)}`, `${at}.group`, file);
    }
    if (seen.has(group)) fail(ErrorCodes.POLICY_INVALID, `group '${group}' appears twice`, `${at}.group`, file, group);
    seen.add(group);
    if (known && !known.has(group)) {
      fail(ErrorCodes.UNKNOWN_GROUP, `the graph has no group '${group}'`, `${at}.group`, file, group);
    }
    try {
      checkRatio(keep, `${at}.keep`, ErrorCodes.POLICY_INVALID);
    } catch (error) {
      const e = error as MetacompressError;
      fail(ErrorCodes.POLICY_INVALID, `keep ${e.reason.replace(/^ratio /, '')}`, `${at}.keep`, file, group);
    }
    if (weightBits !== undefined && !(WEIGHT_BITS as readonly unknown[]).includes(weightBits)) {
      fail(
        ErrorCodes.POLICY_INVALID,
        `weightBits must be one of ${WEIGHT_BITS.join(', ')}, got ${describe(weightBits)}`,
        `${at}.weightBits`,
        file,
        group,
      );
    }
    return weightBits === undefined ? { group, keep: keep as number } : { group, keep: keep as number, weightBits: weightBits as WeightBits };
  });
  const policy: Policy = { budget, groups, source: (raw.source as string | undefined) ?? 'unknown' };
  if (raw.meta !== undefined) policy.meta = raw.meta as Record<string, unknown>;
  return policy;
}

/**
 * Parses and validates policy JSON text; malformed JSON gives `MC_POLICY_PARSE` with the position.
 *
 * @example
 * const policy = parsePolicy(await readFile('policy.json', 'utf8'), { file: 'policy.json' });
 */
export function parsePolicy(text: string, options: ValidatePolicyOptions = {}): Policy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MetacompressError(ErrorCodes.POLICY_PARSE, `not valid JSON: ${(error as Error).message}`, {
      field: '(root)',
      ...(options.file ? { file: options.file } : {}),
    });
  }
  return validatePolicy(value, options);
}

/**
 * The keep ratio and bits for a group, with defaults for groups the policy does not list.
 *
 * @example
 * policyFor(policy, 'conv1'); // { group: 'conv1', keep: 0.5 }
 */
export function policyFor(policy: Policy, group: string): GroupPolicy {
  return policy.groups.find((g) => g.group === group) ?? { group, keep: 1 };
}

/**
 * A policy that changes nothing, useful as the start of a pipeline that only quantizes.
 *
 * @example
 * const p = identityPolicy(); // { budget: { metric: 'params', ratio: 1 }, groups: [], source: 'identity' }
 */
export function identityPolicy(budget: Budget = { metric: 'params', ratio: 1 }): Policy {
  return { budget, groups: [], source: 'identity' };
}
