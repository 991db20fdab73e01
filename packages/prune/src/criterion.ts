import { ErrorCodes, MetacompressError, type OperatorContext, type Rng } from '@metacompress/core';
import type { CouplingGroup, Graph } from '@metacompress/ir';

/**
 * What a criterion may use besides the graph: seeded randomness, and — for data-driven criteria
 * such as Taylor — the backend registry and the job's data (never a backend package import).
 *
 * @example
 * const ctx: CriterionContext = { rng: createRng(0), backends, data: { calibration: mnist } };
 */
export interface CriterionContext {
  rng: Rng;
  backends?: OperatorContext['backends'];
  data?: OperatorContext['data'];
  signal?: AbortSignal;
}

/** Per-channel importance of each scored group, by group id (higher = more important). */
export type GroupScores = Map<string, Float64Array>;

/** What a criterion author writes. */
export interface CriterionDefinition {
  /** Unique, kebab-case; named in errors and reports. */
  name: string;
  /** One line for reports and `--help`. */
  description?: string;
  /** Needs the job's data and a backend of this kind (reported by operators before they run). */
  requires?: 'differentiable' | 'inference';
  /**
   * Scores every channel of each given group: `result.get(group.id)[j]` is the importance of channel
   * `j` (higher is more important; pruning removes the lowest). Must not mutate the graph.
   */
  score(
    graph: Graph,
    groups: readonly CouplingGroup[],
    ctx: CriterionContext,
  ): GroupScores | Promise<GroupScores>;
}

/** A defined criterion: a plain object, passed explicitly (e.g. `channelPrune.with({ criterion: fpgm })`). */
export interface Criterion {
  readonly kind: 'metacompress-criterion';
  readonly name: string;
  readonly description: string;
  readonly requires?: 'differentiable' | 'inference';
  /** Scores the groups; the result is checked (one finite score per channel of every group). */
  score(graph: Graph, groups: readonly CouplingGroup[], ctx: CriterionContext): Promise<GroupScores>;
}

/**
 * Defines an importance criterion, the way `defineOperator` defines an operator: a plain object
 * with a name and a `score` function. The returned criterion checks what `score` returns (one
 * finite number per channel of every group) and names itself and the group in every error.
 *
 * @example
 * export const meanAbs = defineCriterion({
 *   name: 'mean-abs',
 *   score: (graph, groups) => new Map(groups.map((g) => [g.id, sliceScores(graph, g, (v) => l1(v) / v.length)])),
 * });
 */
export function defineCriterion(definition: CriterionDefinition): Criterion {
  if (typeof definition?.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(definition.name)) {
    throw new MetacompressError(
      ErrorCodes.PLUGIN_INVALID,
      `criterion name '${String(definition?.name)}' must be kebab-case`,
      { field: 'name' },
    );
  }
  if (typeof definition.score !== 'function') {
    throw new MetacompressError(
      ErrorCodes.PLUGIN_INVALID,
      `criterion '${definition.name}' has no score function`,
      { field: 'score' },
    );
  }
  const criterion: Criterion = {
    kind: 'metacompress-criterion',
    name: definition.name,
    description: definition.description ?? '',
    ...(definition.requires ? { requires: definition.requires } : {}),
    async score(graph, groups, ctx) {
      const scores = await definition.score(graph, groups, ctx);
      if (!(scores instanceof Map)) {
        throw new MetacompressError(
          ErrorCodes.PLUGIN_INVALID,
          `criterion '${definition.name}' must return a Map of scores by group id`,
          {
            field: 'score',
          },
        );
      }
      for (const g of groups) {
        const s = scores.get(g.id);
        if (!s || s.length !== g.channels) {
          throw new MetacompressError(
            ErrorCodes.PLUGIN_INVALID,
            `criterion '${definition.name}' returned ${s ? s.length : 'no'} scores for a group of ${g.channels} channels`,
            { group: g.id, field: 'score' },
          );
        }
        for (let j = 0; j < s.length; j++) {
          if (!Number.isFinite(s[j])) {
            throw new MetacompressError(
              ErrorCodes.NAN_WEIGHTS,
              `criterion '${definition.name}' scored channel ${j} as ${s[j]} (NaN or infinite weights?)`,
              {
                group: g.id,
                field: 'score',
              },
            );
          }
        }
      }
      return scores;
    },
  };
  return Object.freeze(criterion);
}

/**
 * Type guard for criteria passed as untrusted values (config, plugins).
 *
 * @example
 * if (!isCriterion(value)) throw new Error('not a criterion');
 */
export function isCriterion(value: unknown): value is Criterion {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Criterion).kind === 'metacompress-criterion' &&
    typeof (value as Criterion).score === 'function'
  );
}
