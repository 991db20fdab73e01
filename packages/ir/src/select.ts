import { ErrorCodes, MetacompressError, describe as describeValue } from '@metacompress/core';
import type { GraphBody, Node } from './graph';

/**
 * Which nodes an operator acts on, in NNI's vocabulary: `opTypes` and `names` include (a node must
 * match every list given), `exclude` protects (e.g. the classifier). Names match a node's name or
 * any of its outputs, with `*` wildcards.
 *
 * @example
 * const convsButFirst: Selector = { opTypes: ['Conv'], exclude: { names: ['conv1'] } };
 */
export interface Selector {
  opTypes?: readonly string[];
  names?: readonly string[];
  exclude?: { opTypes?: readonly string[]; names?: readonly string[] };
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function nameMatches(node: Node, patterns: readonly string[]): boolean {
  const regs = patterns.map(globToRegExp);
  return regs.some((r) => r.test(node.name) || node.outputs.some((o) => r.test(o)));
}

/**
 * True when a node is selected.
 *
 * @example
 * matchesSelector(node, { opTypes: ['Conv', 'Gemm'] });
 */
export function matchesSelector(node: Node, selector: Selector = {}): boolean {
  if (selector.opTypes && selector.opTypes.length && !selector.opTypes.includes(node.opType)) return false;
  if (selector.names && selector.names.length && !nameMatches(node, selector.names)) return false;
  const ex = selector.exclude;
  if (ex) {
    if (ex.opTypes?.includes(node.opType)) return false;
    if (ex.names && ex.names.length && nameMatches(node, ex.names)) return false;
  }
  return true;
}

/**
 * The nodes of a graph a selector picks, in graph order.
 *
 * @example
 * selectNodes(graph, { opTypes: ['Conv'], exclude: { names: ['classifier*'] } });
 */
export function selectNodes(graph: GraphBody, selector: Selector = {}): Node[] {
  return graph.nodes.filter((n) => matchesSelector(n, selector));
}

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `expected a list of strings, got ${describeValue(value)}`, { field });
  }
  return value as string[];
}

/**
 * Validates an untrusted selector (from a config file), naming the bad field.
 *
 * @example
 * parseSelector({ opTypes: ['Conv'], exclude: { names: ['fc3'] } }, 'prune.options.selector');
 */
export function parseSelector(value: unknown, field = 'selector'): Selector {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `expected an object, got ${describeValue(value)}`, { field });
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!['opTypes', 'names', 'exclude'].includes(key)) {
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `unknown selector key '${key}' (use opTypes, names, exclude)`, { field: `${field}.${key}` });
    }
  }
  const selector: Selector = {};
  const opTypes = stringList(raw.opTypes, `${field}.opTypes`);
  const names = stringList(raw.names, `${field}.names`);
  if (opTypes) selector.opTypes = opTypes;
  if (names) selector.names = names;
  if (raw.exclude !== undefined) {
    if (typeof raw.exclude !== 'object' || raw.exclude === null || Array.isArray(raw.exclude)) {
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `expected an object, got ${describeValue(raw.exclude)}`, { field: `${field}.exclude` });
    }
    const ex = raw.exclude as Record<string, unknown>;
    const exOps = stringList(ex.opTypes, `${field}.exclude.opTypes`);
    const exNames = stringList(ex.names, `${field}.exclude.names`);
    selector.exclude = { ...(exOps ? { opTypes: exOps } : {}), ...(exNames ? { names: exNames } : {}) };
  }
  return selector;
}
