import { ErrorCodes, isMetacompressError, MetacompressError } from './errors';
import type { BackendRegistry } from './backend-registry';
import type { Dataset } from './data';
import { parseOptions, type OptionsOf, type OptionsSchema } from './options';
import type { Policy } from './policy';
import type { ProgressReporter } from './progress';
import type { Rng } from './rng';

/**
 * What an operator receives besides the graph and the policy: randomness, progress reporting,
 * data and backends (operators never import a backend package; they ask the registry).
 */
export interface OperatorContext {
  /** Seeded randomness; fork it per use (`ctx.rng.fork('criterion')`). */
  rng: Rng;
  /** Where progress and log events go. */
  progress: ProgressReporter;
  /** Backends by kind (`inference`, `differentiable`). */
  backends: BackendRegistry;
  /** Data the job was given; operators that need it throw a typed error when it is missing. */
  data: { train?: Dataset; validation?: Dataset; calibration?: Dataset; test?: Dataset };
  /** The graph the pipeline started from (e.g. the teacher for distillation). */
  original?: unknown;
  /** Cancels long work. */
  signal?: AbortSignal;
}

/** An operator may return the new graph alone, or with a JSON report of what it did. */
export type OperatorResult<G> = G | { graph: G; report?: Record<string, unknown> };

/** The definition a plugin author writes. */
export interface OperatorDefinition<G, S extends OptionsSchema> {
  /** Unique, kebab-case; shown in every error and progress event of the operator. */
  name: string;
  /** One line for `--help` and reports. */
  description?: string;
  /** Typed options with defaults (see `option`). */
  options?: S;
  /** A pure function: must return a new graph and never mutate `graph`. */
  apply(graph: G, policy: Policy, ctx: OperatorContext, options: OptionsOf<S>): OperatorResult<G> | Promise<OperatorResult<G>>;
}

/** A defined operator: a plain object, made by {@link defineOperator}, placed in pipelines by value. */
export interface Operator<G = any, S extends OptionsSchema = OptionsSchema> {
  readonly kind: 'metacompress-operator';
  readonly name: string;
  readonly description: string;
  readonly options: S;
  /** Validates raw options (from a config file or the command line) and fills defaults. */
  parseOptions(raw?: unknown): OptionsOf<S>;
  /** Runs the operator; any error is rethrown as a `MetacompressError` naming the operator. */
  apply(graph: G, policy: Policy, ctx: OperatorContext, options?: Partial<OptionsOf<S>>): Promise<{ graph: G; report?: Record<string, unknown> }>;
  /** A pipeline step with these options (`[operator, options]` works too). */
  with(options: Partial<OptionsOf<S>>): PipelineStep<G>;
}

/** An operator with the options it runs with. */
export interface PipelineStep<G = any> {
  operator: Operator<G>;
  options?: Record<string, unknown>;
}

function isResultObject<G>(value: OperatorResult<G>): value is { graph: G; report?: Record<string, unknown> } {
  return typeof value === 'object' && value !== null && 'graph' in value && Object.keys(value).every((k) => k === 'graph' || k === 'report');
}

/**
 * Defines an operator, Rollup-style: a plain object with a name, typed options and `apply`.
 * Built-in operators are written exactly like this, so plugins have the same powers.
 *
 * @example
 * export const lowRank = defineOperator({
 *   name: 'lowrank',
 *   options: { rank: option.integer('target rank', 8, { min: 1 }) },
 *   apply(graph, policy, ctx, { rank }) { return factorize(graph, rank); },
 * });
 */
export function defineOperator<G = any, S extends OptionsSchema = Record<string, never>>(
  definition: OperatorDefinition<G, S>,
): Operator<G, S> {
  if (!/^[a-z0-9][a-z0-9-]*(\/[a-z0-9-]+)?$/.test(definition.name)) {
    throw new MetacompressError(
      ErrorCodes.PLUGIN_INVALID,
      `operator name '${definition.name}' must be kebab-case (letters, digits, dashes)`,
      { field: 'name' },
    );
  }
  const schema = (definition.options ?? {}) as S;
  const operator: Operator<G, S> = {
    kind: 'metacompress-operator',
    name: definition.name,
    description: definition.description ?? '',
    options: schema,
    parseOptions: (raw) => parseOptions(schema, raw, definition.name),
    async apply(graph, policy, ctx, options) {
      let parsed: OptionsOf<S>;
      try {
        parsed = parseOptions(schema, options ?? {}, definition.name);
      } catch (error) {
        throw nameOperator(error, definition.name);
      }
      try {
        const result = await definition.apply(graph, policy, ctx, parsed);
        return isResultObject(result) ? result : { graph: result as G };
      } catch (error) {
        throw nameOperator(error, definition.name);
      }
    },
    with: (options) => ({ operator: operator as Operator<G>, options: options as Record<string, unknown> }),
  };
  return Object.freeze(operator);
}

/** Rethrows any error as a MetacompressError whose details name the operator. */
function nameOperator(error: unknown, name: string): MetacompressError {
  if (isMetacompressError(error)) return error.details.operator ? error : error.withDetails({ operator: name });
  if (error instanceof TypeError && /read[- ]only|frozen|not extensible|Cannot (assign|add|delete|define)/i.test(error.message)) {
    return new MetacompressError(
      ErrorCodes.OPERATOR_MUTATED_INPUT,
      `tried to mutate its input graph (${error.message}); operators must return a new graph`,
      { operator: name },
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new MetacompressError(ErrorCodes.OPERATOR_FAILED, message, { operator: name }, { cause: error });
}

/**
 * Type guard for values loaded from plugins.
 *
 * @example
 * const mod = await import(pluginPath); if (!isOperator(mod.default)) throw ...
 */
export function isOperator(value: unknown): value is Operator {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Operator).kind === 'metacompress-operator' &&
    typeof (value as Operator).apply === 'function' &&
    typeof (value as Operator).name === 'string'
  );
}
