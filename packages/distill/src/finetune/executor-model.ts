import * as tf from '@tensorflow/tfjs-core';
import {
  buildExecutor,
  initTfjs,
  type BatchNormUpdate,
  type Executor,
  type OpHandler,
  type TfjsRuntime,
} from '@metacompress/backend-tfjs/base';
import type { Graph } from '@metacompress/ir';
import type { NamedVariable } from '../optim/optimizer';
import { fakeQuantize, type FakeQuantSpec } from '../qat/fake-quant';
import {
  FAKE_QUANT_DOMAIN,
  FAKE_QUANT_OP,
  splitFakeQuant,
  withFakeQuantNodes,
} from '../qat/fake-quant-graph';
import type { ModelFactory, TrainableModel } from './trainable-model';

/**
 * Options of {@link createExecutorModelFactory}.
 *
 * @example
 * createExecutorModelFactory({ runtime: await initTfjs({ prefer: ['wasm'] }), batchNorm: 'batch' });
 */
export interface ExecutorModelOptions {
  /** The initialized engine (default: `initTfjs()`, which honours `METACOMPRESS_TFJS_BACKEND`). */
  runtime?: TfjsRuntime;
  /** BatchNormalization while training: `frozen` running statistics (default) or `batch` statistics. */
  batchNorm?: 'frozen' | 'batch';
}

/**
 * A {@link ModelFactory} on the differentiable IR executor of `@metacompress/backend-tfjs`
 * (`buildExecutor`). Fake-quant specs (QAT) are applied with a straight-through estimator: weight
 * targets through the executor's `params` override (the variable itself stays full precision),
 * activation targets through fake-quant nodes inserted after the value for training only — the
 * returned graph has the original structure with the trained weights.
 *
 * @example
 * const factory = createExecutorModelFactory({ runtime: await initTfjs({ prefer: ['wasm'] }) });
 * await finetune(pruned, { teacher, train, steps: 200, model: factory });
 */
export function createExecutorModelFactory(options: ExecutorModelOptions = {}): ModelFactory {
  let runtime: Promise<TfjsRuntime> | undefined = options.runtime
    ? Promise.resolve(options.runtime)
    : undefined;
  return async (graph, factoryOptions) => {
    const rt = await (runtime ??= initTfjs());
    if (rt.tf.getBackend() !== rt.backendName) await rt.tf.setBackend(rt.backendName);
    const { weights: weightSpecs, activations } = splitFakeQuant(graph, factoryOptions.fakeQuant ?? []);
    const { graph: runGraph, nodes: fqNodes } = withFakeQuantNodes(graph, [...activations.keys()]);
    const handler: OpHandler = (ctx) => {
      const spec = activations.get(fqNodes.get(ctx.node.name)!) as FakeQuantSpec;
      const input = ctx.input(0);
      return {
        kind: 'tensor',
        tensor: fakeQuantize(ctx.logical(0), spec),
        layout: 'nchw',
        dataType: input.dataType,
      };
    };
    const trainable = factoryOptions.role === 'teacher' ? 'none' : (factoryOptions.trainable ?? 'all');
    const batchNorm =
      factoryOptions.role === 'teacher'
        ? 'frozen'
        : (factoryOptions.batchNorm ?? options.batchNorm ?? 'frozen');
    const executor: Executor = buildExecutor(runGraph, {
      tf: rt.tf,
      trainable: typeof trainable === 'function' ? (name: string) => trainable(name) : trainable,
      batchNorm,
      ...(fqNodes.size > 0 ? { ops: { [`${FAKE_QUANT_DOMAIN}:${FAKE_QUANT_OP}`]: handler } } : {}),
    });
    // Weights may be stored transposed for tfjs kernels: a per-channel axis names the ONNX layout.
    const storedSpec = (name: string, spec: FakeQuantSpec): FakeQuantSpec => {
      const perm = executor.weightPerm(name);
      return perm && spec.axis !== undefined ? { ...spec, axis: perm.indexOf(spec.axis) } : spec;
    };
    const params: NamedVariable[] = executor.trainableNames.map((name, i) => ({
      name,
      variable: executor.trainableVariables[i]!,
    }));
    const trainableSet = new Set(executor.trainableNames);
    const state: NamedVariable[] = [...executor.variables]
      .filter(([name]) => !trainableSet.has(name))
      .map(([name, variable]) => ({ name, variable }));
    const input = executor.inputNames[0]!;
    const output = executor.outputNames[0]!;
    let pending: BatchNormUpdate[] = [];
    const model: TrainableModel = {
      params,
      state: batchNorm === 'batch' ? state : [],
      forward(x, { training, outputs = [] }) {
        const overrides =
          weightSpecs.size > 0
            ? new Map(
                [...weightSpecs].map(([name, spec]) => [
                  name,
                  fakeQuantize(executor.variables.get(name)!, storedSpec(name, spec)),
                ]),
              )
            : undefined;
        const wanted = [output, ...outputs.filter((o) => o !== output)];
        const r = executor.run(
          { [input]: x },
          { training, outputs: wanted, ...(overrides ? { params: overrides } : {}) },
        );
        if (training && r.batchNormUpdates.length > 0) {
          for (const u of r.batchNormUpdates) {
            tf.keep(u.batchMean);
            tf.keep(u.batchVar);
          }
          pending.push(...r.batchNormUpdates);
        } else {
          tf.dispose(r.batchNormUpdates.flatMap((u) => [u.batchMean, u.batchVar]));
        }
        return {
          logits: r.outputs[output]!,
          values: Object.fromEntries(outputs.map((o) => [o, r.outputs[o]!])),
        };
      },
      afterStep() {
        if (pending.length === 0) return;
        executor.applyBatchNormUpdates(pending);
        pending = [];
      },
      toGraph(): Graph {
        const tuned = executor.toGraph();
        return fqNodes.size > 0 ? { ...graph, initializers: tuned.initializers } : tuned;
      },
      dispose() {
        tf.dispose(pending.flatMap((u) => [u.batchMean, u.batchVar]));
        executor.dispose();
      },
    };
    return model;
  };
}

/**
 * The default {@link ModelFactory}: {@link createExecutorModelFactory} with default options.
 *
 * @example
 * const model = await executorModelFactory(graph, { role: 'student' });
 */
export const executorModelFactory: ModelFactory = createExecutorModelFactory();
