import {
  ErrorCodes,
  MetacompressError,
  validateBudget,
  validatePolicy,
  type Budget,
  type GroupPolicy,
  type Policy,
} from '@metacompress/core';
import type { CostBudget, Graph } from '@metacompress/ir';
import { FEATURE_NAMES } from './features/feature-names';
import { featurizeGroups, type FeaturizeOptions } from './features/featurize-groups';
import { policyForwardHost } from './network/forward-host';
import type { PolicyNetwork } from './network/policy-network';
import { projectBudget, type ProjectBudgetOptions } from './projection/project-budget';

/**
 * Options of {@link policyFromNetwork}.
 *
 * @example
 * const options: PolicyFromNetworkOptions = { bits: true, roundTo: 4, sensitivity };
 */
export interface PolicyFromNetworkOptions
  extends ProjectBudgetOptions, Pick<FeaturizeOptions, 'sensitivity' | 'estimator' | 'groups' | 'file'> {
  /** Add `weightBits` from the bit head (its highest-scoring width) to every group (default false). */
  bits?: boolean;
}

/**
 * Zero-shot prediction π = Φ(M, r): featurizes the graph's prunable groups, runs Φ once (on the
 * host, no tensor engine needed), projects the keep logits onto the budget (see `projectBudget`)
 * and returns a core `Policy` with `source: 'meta:<network name>'`, one entry per group (keep =
 * kept channels / channels) and, with `bits`, the bit head's choice. `policy.meta` records the
 * shift, the achieved ratio, whether the tolerance was met and the raw logits.
 *
 * Throws `MC_CHECKPOINT_INVALID` when the network reads other features than this featurizer
 * makes, and whatever the featurizer and the projection throw (e.g. `MC_BUDGET_INVALID` for a
 * latency budget, `MC_BUDGET_UNREACHABLE`).
 *
 * @example
 * const policy = policyFromNetwork(graph, { metric: 'macs', ratio: 0.5 }, parsePolicyNetwork(text), { bits: true });
 * // { source: 'meta:…', groups: [{ group: '/conv1/Conv', keep: 0.5, weightBits: 8 }, …], … }
 */
export function policyFromNetwork(
  graph: Graph,
  budget: Budget,
  network: PolicyNetwork,
  options: PolicyFromNetworkOptions = {},
): Policy {
  const checked = validateBudget(budget, 'budget');
  const names = network.config.featureNames;
  if (names.length !== FEATURE_NAMES.length || names.some((n, i) => n !== FEATURE_NAMES[i])) {
    throw new MetacompressError(
      ErrorCodes.CHECKPOINT_INVALID,
      `network '${network.name}' reads ${names.length} features that differ from the featurizer's ${FEATURE_NAMES.length}`,
      {
        field: 'featureNames',
        ...(options.file ? { file: options.file } : {}),
      },
    );
  }
  const features = featurizeGroups(graph, {
    budget: checked,
    sensitivity: options.sensitivity,
    estimator: options.estimator,
    groups: options.groups,
    file: options.file,
  });
  const outputs = features.rows.length
    ? policyForwardHost(network.config, network.params, features.rows)
    : { keepLogits: new Float64Array(0), bitLogits: [] };
  const ids = features.groups.map((g) => g.id);
  const projection = projectBudget(
    features.estimator,
    ids,
    outputs.keepLogits,
    checked as CostBudget,
    options,
  );
  const groups = ids.map((id, i): GroupPolicy => {
    const entry: GroupPolicy = { group: id, keep: projection.keep.get(id)! };
    if (options.bits) {
      const scores = outputs.bitLogits[i];
      let best = 0;
      for (let b = 1; b < scores.length; b++) if (scores[b] > scores[best]) best = b;
      entry.weightBits = network.config.bitWidths[best];
    }
    return entry;
  });
  return validatePolicy({
    budget: checked,
    groups,
    source: `meta:${network.name}`,
    meta: {
      network: network.name,
      shift: projection.shift,
      achieved: projection.achieved,
      withinTolerance: projection.withinTolerance,
      refined: projection.refined,
      keepLogits: Array.from(outputs.keepLogits),
    },
  });
}
