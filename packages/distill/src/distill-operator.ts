import type { DifferentiableBackend } from '@metacompress/core';
import { ErrorCodes, MetacompressError, defineOperator, describe, log, option } from '@metacompress/core';
import type { TfjsRuntime } from '@metacompress/backend-tfjs/base';
import type { Graph } from '@metacompress/ir';
import { createExecutorModelFactory } from './finetune/executor-model';
import { finetune } from './finetune/finetune';
import type { LrSchedule } from './schedule/lr-schedule';
import { checkFakeQuantSpec, type FakeQuantSpec } from './qat/fake-quant';

function optionalInteger(description: string, min: number) {
  return option.custom<number | undefined>(description, undefined, (value, path) => {
    const v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `expected an integer ≥ ${min}, got ${describe(value)}`,
        { field: path },
      );
    }
    return v;
  });
}

function optionalNumber(description: string, exclusiveMin: number) {
  return option.custom<number | undefined>(description, undefined, (value, path) => {
    const v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= exclusiveMin) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `expected a number > ${exclusiveMin}, got ${describe(value)}`,
        { field: path },
      );
    }
    return v;
  });
}

/**
 * Options of the {@link distill} operator.
 *
 * @example
 * distill.parseOptions({ steps: '200', batchNorm: 'insert' }); // typed, defaults filled
 */
export const distillOptions = {
  steps: optionalInteger('budget in optimizer steps (instead of epochs)', 1),
  epochs: optionalNumber('budget in epochs of the training data (default 1 when steps is not given)', 0),
  batchSize: option.integer('samples per step', 64, { min: 1 }),
  lr: option.number('peak learning rate (default 1e-3 for adam, 1e-2 for sgd)', 0, { min: 0 }),
  schedule: option.enum('learning-rate schedule', ['cosine', 'step', 'constant'] as const, 'cosine'),
  warmupSteps: option.integer('linear warm-up steps', 0, { min: 0 }),
  stepSize: option.integer('steps between decays of the step schedule', 100, { min: 1 }),
  gamma: option.number('decay factor of the step schedule', 0.1, { min: 0 }),
  optimizer: option.enum('optimizer', ['adam', 'sgd'] as const, 'adam'),
  momentum: option.number('SGD momentum', 0.9, { min: 0, max: 1 }),
  weightDecay: option.number('weight decay (decoupled for adam)', 0, { min: 0, max: 1 }),
  temperature: option.number('softmax temperature of the soft targets', 4, { min: 1e-6 }),
  alpha: option.number('weight of the soft-target loss (1 − alpha goes to the labels)', 0.9, {
    min: 0,
    max: 1,
  }),
  teacher: option.enum(
    'teacher: the pipeline input (original) or none (plain cross-entropy)',
    ['original', 'none'] as const,
    'original',
  ),
  hints: option.enum('feature hints on matching coupling groups', ['none', 'auto'] as const, 'none'),
  hintWeight: option.number('weight of the hint loss', 1, { min: 0 }),
  evalEvery: optionalInteger('validate every this many steps (default once per epoch and at the end)', 1),
  evalLimit: optionalInteger('validate on at most this many samples', 1),
  patience: optionalInteger('stop after this many validations without improvement', 1),
  restoreBest: option.boolean('return the best-validation weights', true),
  batchNorm: option.enum(
    'BatchNormalization while training: auto (insert, or frozen with fakeQuant), frozen running statistics, batch statistics, or insert (BN after convs that lack one, trained with batch statistics, every BN folded at the end)',
    ['auto', 'frozen', 'batch', 'insert'] as const,
    'auto',
  ),
  checkpoint: option.string('checkpoint file (empty: none)', ''),
  checkpointEvery: optionalInteger('write the checkpoint every this many steps', 1),
  resume: option.boolean('continue from the checkpoint when it exists', true),
  fakeQuant: option.custom<FakeQuantSpec[]>(
    'fake-quant specs for quantization-aware training',
    [],
    (value, path) => {
      if (!Array.isArray(value))
        throw new MetacompressError(
          ErrorCodes.INVALID_ARGUMENT,
          `expected a list of fake-quant specs, got ${describe(value)}`,
          { field: path },
        );
      return value.map((v, i) => {
        try {
          checkFakeQuantSpec(v as FakeQuantSpec);
        } catch (error) {
          throw (error as MetacompressError).withDetails?.({ field: `${path}[${i}]` }) ?? error;
        }
        return { ...(v as FakeQuantSpec) };
      });
    },
  ),
};

function isGraph(value: unknown): value is Graph {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as Graph).nodes) &&
    Array.isArray((value as Graph).outputs)
  );
}

/**
 * The recovery fine-tune as a pipeline step: knowledge distillation (Hinton et al. 2015, optional
 * FitNets hints — Romero et al. 2015) from the pipeline's original graph into the compressed one,
 * on `ctx.data.train`, validated on `ctx.data.validation`, on the differentiable backend from
 * `ctx.backends` (backend-tfjs). Place it after prune/quantize.
 *
 * @example
 * const { graph } = await compress(model, [prune, distill.with({ epochs: 1, temperature: 4 })], {
 *   policy, data: { train, validation },
 * });
 */
export const distill = defineOperator<Graph, typeof distillOptions>({
  name: 'distill',
  description: 'Recovery fine-tune by knowledge distillation from the original model.',
  options: distillOptions,
  async apply(graph, _policy, ctx, o) {
    const train = ctx.data.train;
    if (!train) {
      throw new MetacompressError(ErrorCodes.EMPTY_DATASET, 'distill needs training data (data.train)', {
        field: 'data.train',
      });
    }
    let teacher: Graph | undefined;
    if (o.teacher === 'original') {
      if (!isGraph(ctx.original)) {
        throw new MetacompressError(
          ErrorCodes.INVALID_ARGUMENT,
          'no original graph to use as the teacher (set teacher: none for plain fine-tuning)',
          {
            field: 'teacher',
          },
        );
      }
      teacher = ctx.original;
    }
    const backend = await ctx.backends.resolve<DifferentiableBackend<Graph> & { runtime?: TfjsRuntime }>(
      'differentiable',
    );
    if (!backend.runtime) {
      throw new MetacompressError(
        ErrorCodes.NO_BACKEND,
        `distill runs on @metacompress/backend-tfjs; the differentiable backend '${backend.name}' is not one`,
        {
          backend: backend.name,
        },
      );
    }
    log(ctx.progress, 'info', `recovery fine-tune on ${backend.engine}`, 'distill');
    const lr = o.lr > 0 ? o.lr : o.optimizer === 'sgd' ? 1e-2 : 1e-3;
    const warm = o.warmupSteps > 0 ? { warmupSteps: o.warmupSteps } : {};
    const schedule: LrSchedule =
      o.schedule === 'step'
        ? { kind: 'step', lr, stepSize: o.stepSize, gamma: o.gamma, ...warm }
        : { kind: o.schedule, lr, ...warm };
    const result = await finetune(graph, {
      train,
      ...(ctx.data.validation ? { validation: ctx.data.validation } : {}),
      ...(teacher ? { teacher, alpha: o.alpha, hints: o.hints } : {}),
      ...(o.steps !== undefined ? { steps: o.steps } : { epochs: o.epochs ?? 1 }),
      batchSize: o.batchSize,
      schedule,
      optimizer:
        o.optimizer === 'sgd'
          ? { kind: 'sgd', momentum: o.momentum, nesterov: o.momentum > 0, weightDecay: o.weightDecay }
          : { kind: 'adam', weightDecay: o.weightDecay },
      temperature: o.temperature,
      hintWeight: o.hintWeight,
      ...(o.evalEvery !== undefined ? { evalEvery: o.evalEvery } : {}),
      ...(o.evalLimit !== undefined ? { evalLimit: o.evalLimit } : {}),
      ...(o.patience !== undefined ? { patience: o.patience } : {}),
      ...(ctx.data.validation ? { restoreBest: o.restoreBest } : {}),
      ...(o.checkpoint ? { checkpoint: o.checkpoint, resume: o.resume } : {}),
      ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
      ...(o.fakeQuant.length > 0 ? { fakeQuant: o.fakeQuant } : {}),
      seed: ctx.rng.fork('distill').seed,
      progress: ctx.progress,
      task: 'distill',
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      batchNorm: o.batchNorm === 'auto' ? (o.fakeQuant.length > 0 ? 'frozen' : 'insert') : o.batchNorm,
      model: createExecutorModelFactory({ runtime: backend.runtime }),
    });
    const last = result.evaluations[result.evaluations.length - 1];
    return {
      graph: result.graph,
      report: {
        engine: backend.engine,
        teacher: teacher ? 'original' : 'none',
        steps: result.steps,
        totalSteps: result.totalSteps,
        stoppedEarly: result.stoppedEarly,
        ...(result.resumedFrom !== undefined ? { resumedFrom: result.resumedFrom } : {}),
        ...(result.evaluations.length
          ? { valAccuracyBefore: result.evaluations[0]!.accuracy, valAccuracyLast: last!.accuracy }
          : {}),
        ...(result.best ? { valAccuracyBest: result.best.accuracy, bestStep: result.best.step } : {}),
        finalLoss: result.history.at(-1)?.loss ?? null,
        hints: result.hints.map((h) => h.teacher),
        durationMs: Math.round(result.durationMs),
      },
    };
  },
});
