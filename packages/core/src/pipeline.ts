import { type BackendRegistry, backends as globalBackends } from './backend-registry';
import { ErrorCodes, MetacompressError } from './errors';
import { cloneStructure, deepFreeze } from './immutable';
import type { Operator, OperatorContext, PipelineStep } from './operator';
import type { Policy } from './policy';
import { silentReporter, type ProgressReporter } from './progress';
import { createRng } from './rng';

/** One step of a pipeline: an operator, `[operator, options]`, or `operator.with(options)`. */
export type StepInput<G> = Operator<G> | PipelineStep<G> | [Operator<G>, Record<string, unknown>?];

/** What {@link compress} did, step by step. */
export interface CompressResult<G> {
  graph: G;
  steps: { operator: string; durationMs: number; report?: Record<string, unknown> }[];
}

/** Options of {@link compress}. */
export interface CompressOptions {
  policy: Policy;
  seed?: number;
  progress?: ProgressReporter;
  backends?: BackendRegistry;
  data?: OperatorContext['data'];
  signal?: AbortSignal;
}

function toStep<G>(step: StepInput<G>): PipelineStep<G> {
  if (Array.isArray(step)) return { operator: step[0], options: step[1] };
  if ('operator' in step) return step;
  return { operator: step };
}

/**
 * Runs operators in order on a graph. The input graph is never mutated: the pipeline works on a
 * structural copy and freezes every graph it hands to an operator, so an operator that tries to
 * mutate its input fails loudly (`MC_OPERATOR_MUTATED_INPUT`) instead of corrupting it.
 *
 * @example
 * const { graph: small } = await compress(graph, [prune.with({ roundTo: 4 }), quantize], { policy });
 */
export async function compress<G>(input: G, steps: StepInput<G>[], options: CompressOptions): Promise<CompressResult<G>> {
  const progress = options.progress ?? silentReporter;
  const original = deepFreeze(cloneStructure(input));
  const ctx: OperatorContext = {
    rng: createRng(options.seed ?? 0),
    progress,
    backends: options.backends ?? globalBackends,
    data: options.data ?? {},
    original,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  let graph: G = original;
  const done: CompressResult<G>['steps'] = [];
  for (const raw of steps) {
    if (options.signal?.aborted) throw new MetacompressError(ErrorCodes.ABORTED, 'compression was cancelled', {});
    const { operator, options: stepOptions } = toStep(raw);
    const started = performance.now();
    progress.emit({ type: 'start', task: operator.name, label: operator.description || operator.name });
    const result = await operator.apply(graph, options.policy, { ...ctx, rng: ctx.rng.fork(operator.name) }, stepOptions);
    const durationMs = performance.now() - started;
    progress.emit({ type: 'end', task: operator.name, metrics: { durationMs } });
    done.push({ operator: operator.name, durationMs, ...(result.report ? { report: result.report } : {}) });
    graph = result.graph === graph ? graph : deepFreeze(result.graph);
  }
  return { graph, steps: done };
}
