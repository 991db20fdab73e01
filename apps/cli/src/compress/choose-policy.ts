import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCodes, identityPolicy, MetacompressError, parsePolicy, type Budget, type Dataset, type InferenceBackend, type Policy } from '@metacompress/core';
import { analyzeCoupling, type Graph } from '@metacompress/ir';
import { globalMagnitudePolicy, l1SensitivityPolicy, uniformPolicy } from '@metacompress/prune';

/** The built-in policy generators, by their `--policy` names. */
export const POLICY_NAMES = ['l1', 'uniform', 'global'] as const;

/** What {@link choosePolicy} needs besides the graph. */
export interface PolicyInputs {
  /** `l1`, `uniform`, `global`, or a path to a policy JSON file. */
  spec: string;
  /** The pruning budget (ratio 1 means "do not prune"). */
  budget: Budget;
  roundTo: number;
  cwd: string;
  /** Data and runtime for the sensitivity heuristic. */
  data: Dataset;
  runtime: InferenceBackend<Graph>;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The pruning policy for a job: a built-in generator hitting the budget (the L1-sensitivity
 * heuristic of Li et al. 2017 is the best available until a learned policy ships), or a policy file
 * validated against the graph's coupling groups.
 *
 * @example
 * const policy = await choosePolicy(graph, { spec: 'l1', budget, roundTo: 4, cwd, data, runtime });
 */
export async function choosePolicy(graph: Graph, inputs: PolicyInputs): Promise<Policy> {
  const { spec, budget } = inputs;
  if (!(POLICY_NAMES as readonly string[]).includes(spec)) {
    const path = resolve(inputs.cwd, spec);
    const info = await stat(path).catch(() => undefined);
    if (!info) {
      throw new MetacompressError(ErrorCodes.FILE_NOT_FOUND, `--policy is neither ${POLICY_NAMES.join(', ')} nor an existing policy file`, { file: spec, field: 'policy' });
    }
    if (!info.isFile()) throw new MetacompressError(ErrorCodes.NOT_A_FILE, 'the policy path is not a file', { file: spec });
    const groups = analyzeCoupling(graph);
    const policy = parsePolicy(await readFile(path, 'utf8'), { file: spec, knownGroups: groups.map((g) => g.id) });
    for (const entry of policy.groups) {
      const group = groups.find((g) => g.id === entry.group)!;
      if (!group.prunable && entry.keep < 1) {
        throw new MetacompressError(ErrorCodes.GROUP_UNPRUNABLE, `the policy prunes a group that cannot be pruned: ${group.reason ?? ''}`, { file: spec, group: entry.group });
      }
    }
    return policy;
  }
  if (budget.ratio >= 1) return { ...identityPolicy(budget), source: spec };
  const options = { roundTo: inputs.roundTo };
  if (spec === 'uniform') return uniformPolicy(graph, budget, options);
  if (spec === 'global') return globalMagnitudePolicy(graph, budget, options);
  return l1SensitivityPolicy(graph, budget, {
    ...options,
    data: inputs.data,
    backend: inputs.runtime,
    batches: 2,
    batchSize: 128,
    ...(inputs.onProgress ? { onProgress: inputs.onProgress } : {}),
  });
}
