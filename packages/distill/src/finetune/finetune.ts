import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError, createRng, silentReporter, startTask } from '@metacompress/core';
import { foldBatchNorm, type Graph } from '@metacompress/ir';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../checkpoint/checkpoint-file';
import type { NamedArray } from '../checkpoint/named-array';
import { crossEntropy } from '../losses/cross-entropy';
import { createHintAdapter, hintLoss, type HintAdapter } from '../losses/hint-loss';
import { softTargetLoss } from '../losses/soft-target-loss';
import { createOptimizer, type NamedVariable } from '../optim/optimizer';
import { learningRateAt } from '../schedule/lr-schedule';
import { convOutputsWithoutBatchNorm, insertBatchNorm } from '../student/batch-norm-insertion';
import { batchStream } from './batch-stream';
import { channelStats } from './channel-stats';
import { evaluateModel } from './evaluate-model';
import {
  resolveFinetune,
  type EvaluationRecord,
  type FinetuneOptions,
  type ResolvedFinetune,
  type StepInfo,
} from './finetune-options';
import { graphFingerprint } from './fingerprint';
import { autoHintPoints, checkHintPoints, type HintPoint } from './hint-points';
import type { ForwardResult, TrainableModel } from './trainable-model';

/**
 * Mean training loss over a window of steps (what the checkpoint and the result keep).
 *
 * @example
 * result.history.at(-1); // { step: 937, loss: 0.21, lr: 0 }
 */
export interface LossRecord {
  /** Steps done at the end of the window. */
  step: number;
  loss: number;
  lr: number;
}

/**
 * What {@link finetune} returns.
 *
 * @example
 * const { graph, best, steps, stoppedEarly } = await finetune(student, options);
 */
export interface FinetuneResult {
  /** The student with its fine-tuned (or best-validation) weights. */
  graph: Graph;
  /** Steps done (including those before a resume). */
  steps: number;
  totalSteps: number;
  /** True when early stopping ended the run before its budget. */
  stoppedEarly: boolean;
  /** The step the run resumed from, when it did. */
  resumedFrom?: number;
  /** Every validation pass. */
  evaluations: EvaluationRecord[];
  /** The best validation pass (the returned weights when `restoreBest`). */
  best?: EvaluationRecord;
  /** Mean training loss per progress window. */
  history: LossRecord[];
  /** Hint points used. */
  hints: HintPoint[];
  /** Resolved settings (budget in steps, defaults filled). */
  settings: ResolvedFinetune;
  /** Wall time of this call in milliseconds. */
  durationMs: number;
}

const FORMAT = 'metacompress-finetune';

interface RunState {
  step: number;
  evaluations: EvaluationRecord[];
  history: LossRecord[];
  best?: EvaluationRecord;
  bestWeights?: NamedArray[];
  badEvals: number;
  stoppedEarly: boolean;
  /** Loss sum and step count of the progress window in flight. */
  window: { loss: number; steps: number };
}

function snapshot(params: readonly NamedVariable[]): NamedArray[] {
  return params.map((p) => ({
    name: p.name,
    dims: [...p.variable.shape],
    data: Float32Array.from(p.variable.dataSync() as Float32Array),
  }));
}

function restore(
  params: readonly NamedVariable[],
  arrays: readonly NamedArray[],
  file: string | undefined,
  section: string,
): void {
  const byName = new Map(arrays.map((a) => [a.name, a]));
  if (byName.size !== params.length) {
    throw new MetacompressError(
      ErrorCodes.CHECKPOINT_INVALID,
      `${section} holds ${byName.size} arrays, this run has ${params.length} parameters`,
      {
        ...(file ? { file } : {}),
        field: section,
      },
    );
  }
  for (const p of params) {
    const a = byName.get(p.name);
    const shape = p.variable.shape;
    if (!a || a.dims.length !== shape.length || a.dims.some((d, i) => d !== shape[i])) {
      throw new MetacompressError(
        ErrorCodes.CHECKPOINT_INVALID,
        a
          ? `'${p.name}' has shape [${a.dims.join(', ')}] in the checkpoint, [${shape.join(', ')}] in the model`
          : `'${p.name}' is missing`,
        { ...(file ? { file } : {}), field: `${section}.${p.name}` },
      );
    }
    p.variable.assign(tf.tensor(a.data, shape));
  }
}

/**
 * The recovery fine-tune: trains a (pruned, fake-quantized, or any) student graph on
 * backend-tfjs, by knowledge distillation from a teacher when one is given (Hinton et al. 2015:
 * α·T²·KL on tempered softmaxes + (1 − α)·cross-entropy, optionally with FitNets feature hints —
 * Romero et al. 2015) or by plain cross-entropy otherwise.
 *
 * - Budget in steps or epochs; learning-rate schedule with warm-up; Adam or SGD.
 * - Validation every `evalEvery` steps, early stopping after `patience` validations without
 *   improvement, and by default the best-validation weights are returned.
 * - Deterministic for a seed on one engine: the data order of every epoch is a pure function of
 *   the seed, so an interrupted run resumed from its checkpoint (weights, optimizer moments,
 *   step, early-stopping state, adapters; written atomically) ends with the same weights as an
 *   uninterrupted one.
 * - Progress through `startTask` (steps, loss, learning rate, validation accuracy).
 *
 * @example
 * const { graph, best } = await finetune(pruned, { teacher: original, train, validation, epochs: 1 });
 */
export async function finetune(student: Graph, options: FinetuneOptions): Promise<FinetuneResult> {
  const started = performance.now();
  const settings = resolveFinetune(student, options);
  const teacherGraph = options.teacher;
  const hints: HintPoint[] = teacherGraph
    ? options.hints === 'auto'
      ? autoHintPoints(teacherGraph, student)
      : Array.isArray(options.hints)
        ? checkHintPoints(teacherGraph, student, options.hints)
        : []
    : [];
  const teacherValues = hints.map((h) => h.teacher);
  const studentValues = hints.map((h) => h.student ?? h.teacher);
  const factory = options.model ?? (await import('./executor-model')).executorModelFactory;
  const progress = options.progress ?? silentReporter;
  const checkpointPath = options.checkpoint;

  const jobConfig = {
    format: FORMAT,
    version: 1,
    student: graphFingerprint(student),
    teacher: teacherGraph ? graphFingerprint(teacherGraph, { weights: true }) : null,
    train: { name: options.train.name, length: options.train.length },
    validation: options.validation
      ? { name: options.validation.name, length: options.validation.length }
      : null,
    totalSteps: settings.totalSteps,
    batchSize: settings.batchSize,
    schedule: settings.schedule,
    optimizer: settings.optimizer,
    temperature: settings.temperature,
    alpha: settings.alpha,
    hintWeight: settings.hintWeight,
    hints,
    evalEvery: settings.evalEvery,
    evalLimit: settings.evalLimit ?? null,
    patience: settings.patience ?? null,
    minDelta: settings.minDelta,
    restoreBest: settings.restoreBest,
    evalAtStart: settings.evalAtStart,
    seed: settings.seed,
    fakeQuant: options.fakeQuant ?? [],
    batchNorm: settings.batchNorm,
    calibrationBatches: settings.batchNorm === 'insert' ? settings.calibrationBatches : null,
  };

  // BN insertion: calibrate per-channel statistics of the convolution outputs, then add BNs.
  let trainingGraph = student;
  if (settings.batchNorm === 'insert') {
    const values = convOutputsWithoutBatchNorm(student);
    if (values.length > 0) {
      const probe = await factory(student, { role: 'teacher', outputs: values });
      let stats;
      try {
        stats = channelStats(probe, options.train, values, settings.calibrationBatches, settings.batchSize);
      } finally {
        probe.dispose();
      }
      trainingGraph = insertBatchNorm(student, values, stats);
    }
  }
  const model = await factory(trainingGraph, {
    role: 'student',
    batchNorm: settings.batchNorm === 'frozen' ? 'frozen' : 'batch',
    ...(options.trainable ? { trainable: options.trainable } : {}),
    outputs: studentValues,
    ...(options.fakeQuant ? { fakeQuant: options.fakeQuant } : {}),
  });
  let teacher: TrainableModel | undefined;
  const adapters: HintAdapter[] = [];
  const optimizer = createOptimizer(settings.optimizer);
  try {
    if (teacherGraph) teacher = await factory(teacherGraph, { role: 'teacher', outputs: teacherValues });
    if (model.params.length === 0) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        'the student has no trainable float initializer',
        { field: 'trainable' },
      );
    }

    // Probe one batch: output shapes must agree, hint widths size the adapters.
    const first = options.train.batches(Math.min(2, options.train.length))[Symbol.iterator]().next().value;
    if (!first)
      throw new MetacompressError(
        ErrorCodes.EMPTY_DATASET,
        `training set '${options.train.name}' yields no batch`,
        { field: 'train' },
      );
    const widths = tf.tidy(() => {
      const x = tf.tensor(first.inputs.data, [...first.inputs.dims]);
      const s = model.forward(x, { training: false, outputs: studentValues });
      const t = teacher?.forward(x, { training: false, outputs: teacherValues });
      if (t && (s.logits.rank !== t.logits.rank || s.logits.shape.some((d, i) => d !== t.logits.shape[i]))) {
        throw new MetacompressError(
          ErrorCodes.SHAPE_MISMATCH,
          `teacher output [${t.logits.shape.join(', ')}] and student output [${s.logits.shape.join(', ')}] differ in shape`,
          { field: 'teacher' },
        );
      }
      if (s.logits.rank !== 2) {
        throw new MetacompressError(
          ErrorCodes.SHAPE_MISMATCH,
          `the student's first output must be [batch, classes], got [${s.logits.shape.join(', ')}]`,
          {
            field: 'student',
          },
        );
      }
      return hints.map((h, i) => {
        const sv = s.values[studentValues[i]!];
        const tv = t?.values[teacherValues[i]!];
        if (
          !sv ||
          !tv ||
          sv.rank < 2 ||
          sv.rank !== tv.rank ||
          sv.shape.some((d, k) => k !== 1 && d !== tv.shape[k])
        ) {
          throw new MetacompressError(
            ErrorCodes.SHAPE_MISMATCH,
            `hint '${h.teacher}': student [${sv?.shape.join(', ') ?? 'missing'}] and teacher [${tv?.shape.join(', ') ?? 'missing'}] must agree except in channels (axis 1)`,
            { field: 'hints' },
          );
        }
        return [sv.shape[1]!, tv.shape[1]!] as const;
      });
    });
    const adapterRng = createRng(settings.seed).fork('adapters');
    hints.forEach((h, i) => {
      const [cs, ct] = widths[i]!;
      adapters.push(
        createHintAdapter({
          studentChannels: cs,
          teacherChannels: ct,
          seed: adapterRng.fork(h.teacher).seed,
        }),
      );
    });
    const adapterParams: NamedVariable[] = adapters.map((a, i) => ({
      name: `hint:${hints[i]!.teacher}`,
      variable: a.weight,
    }));
    const params: NamedVariable[] = [...model.params, ...adapterParams];
    // What a checkpoint and the best-weights snapshot hold: trained weights and other changing state.
    const weights: NamedVariable[] = [...model.params, ...(model.state ?? [])];

    // Resume.
    const state: RunState = {
      step: 0,
      evaluations: [],
      history: [],
      badEvals: 0,
      stoppedEarly: false,
      window: { loss: 0, steps: 0 },
    };
    let resumedFrom: number | undefined;
    if (checkpointPath && (options.resume ?? true) && existsSync(checkpointPath)) {
      const ck = await loadCheckpoint(checkpointPath);
      const saved = ck.state.config as Record<string, unknown> | undefined;
      if (!saved || saved.format !== FORMAT) {
        throw new MetacompressError(ErrorCodes.CHECKPOINT_INVALID, 'not a fine-tune checkpoint', {
          file: checkpointPath,
        });
      }
      for (const [key, value] of Object.entries(jobConfig)) {
        if (JSON.stringify(saved[key]) !== JSON.stringify(value)) {
          throw new MetacompressError(
            ErrorCodes.CHECKPOINT_INVALID,
            `the checkpoint belongs to another job: its ${key} is ${JSON.stringify(saved[key])?.slice(0, 120)}, this run's is ${JSON.stringify(value)?.slice(0, 120)}`,
            { file: checkpointPath, field: key },
          );
        }
      }
      restore(weights, ck.sections.weights ?? [], checkpointPath, 'weights');
      restore(adapterParams, ck.sections.adapters ?? [], checkpointPath, 'adapters');
      optimizer.load(ck.sections.optimizer ?? [], params);
      const s = ck.state as unknown as Omit<RunState, 'bestWeights'> & { config: unknown };
      state.step = s.step;
      state.evaluations = s.evaluations;
      state.history = s.history;
      state.badEvals = s.badEvals;
      state.stoppedEarly = s.stoppedEarly;
      state.window = s.window;
      if (s.best) state.best = s.best;
      if (ck.sections.best) state.bestWeights = ck.sections.best;
      resumedFrom = state.step;
    }

    const save = async (): Promise<void> => {
      if (!checkpointPath) return;
      const { bestWeights, ...rest } = state;
      const ck: Checkpoint = {
        state: { ...rest, config: jobConfig },
        sections: {
          weights: snapshot(weights),
          adapters: snapshot(adapterParams),
          optimizer: optimizer.state(),
          ...(bestWeights ? { best: bestWeights } : {}),
        },
      };
      await saveCheckpoint(checkpointPath, ck);
    };

    const task = startTask(progress, options.task ?? 'distill', settings.totalSteps, 'steps');
    if (state.step > 0) task.update(state.step);

    const validate = (): void => {
      if (!options.validation) return;
      const r = evaluateModel(model, options.validation, {
        batchSize: settings.evalBatchSize,
        ...(settings.evalLimit !== undefined ? { limit: settings.evalLimit } : {}),
      });
      const record: EvaluationRecord = { step: state.step, accuracy: r.accuracy, loss: r.loss };
      state.evaluations.push(record);
      if (!state.best || record.accuracy > state.best.accuracy + settings.minDelta) {
        state.best = record;
        state.badEvals = 0;
        if (settings.restoreBest) state.bestWeights = snapshot(weights);
      } else {
        state.badEvals++;
        if (settings.patience !== undefined && state.badEvals >= settings.patience) state.stoppedEarly = true;
      }
      task.update(state.step, { valAccuracy: record.accuracy, valLoss: record.loss });
    };

    if (state.step === 0 && settings.evalAtStart && state.evaluations.length === 0) validate();

    const { totalSteps, stepsPerEpoch, alpha, temperature, hintWeight } = settings;
    if (state.step < totalSteps && !state.stoppedEarly) {
      const stream = batchStream(options.train, settings.batchSize, settings.seed, state.step, stepsPerEpoch);
      for (const { batch, position } of stream) {
        if (options.signal?.aborted) {
          await save();
          throw new MetacompressError(
            ErrorCodes.ABORTED,
            `fine-tune cancelled after ${state.step} of ${totalSteps} steps`,
            {
              ...(checkpointPath ? { file: checkpointPath } : {}),
              step: state.step,
            },
          );
        }
        const lr = learningRateAt(settings.schedule, state.step, totalSteps);
        const x = tf.tensor(batch.inputs.data, [...batch.inputs.dims]);
        const labels = tf.tensor1d(batch.labels, 'int32');
        const target: ForwardResult | undefined = teacher
          ? (tf.tidy(
              () =>
                teacher!.forward(x, {
                  training: false,
                  outputs: teacherValues,
                }) as unknown as tf.TensorContainer,
            ) as unknown as ForwardResult)
          : undefined;
        let parts: tf.Scalar[] = [];
        const { value, grads } = tf.variableGrads(
          () => {
            const out = model.forward(x, { training: true, outputs: studentValues });
            const hard = crossEntropy(out.logits, labels);
            let loss: tf.Scalar = alpha < 1 ? tf.mul(hard, 1 - alpha) : tf.mul(hard, 0);
            const kept: tf.Scalar[] = [hard];
            if (target && alpha > 0) {
              const soft = softTargetLoss(out.logits, target.logits, temperature);
              loss = tf.add(loss, tf.mul(soft, alpha));
              kept.push(soft);
            }
            if (adapters.length > 0 && target) {
              const terms = adapters.map((a, i) =>
                hintLoss(a.apply(out.values[studentValues[i]!]!), target.values[teacherValues[i]!]!),
              );
              const hint = tf.div(tf.addN(terms), terms.length) as tf.Scalar;
              loss = tf.add(loss, tf.mul(hint, hintWeight));
              kept.push(hint);
            }
            parts = kept.map((t) => tf.keep(t));
            return loss;
          },
          params.map((p) => p.variable),
        );
        const gradList = params.map((p) => grads[p.variable.name] ?? tf.zerosLike(p.variable));
        optimizer.apply(params, gradList, lr);
        model.afterStep?.();
        const lossValue = value.dataSync()[0]!;
        const [hard, ...rest] = parts.map((t) => t.dataSync()[0]!);
        tf.dispose([
          x,
          labels,
          value,
          ...gradList,
          ...parts,
          ...(target ? [target.logits, ...Object.values(target.values)] : []),
        ]);
        if (!Number.isFinite(lossValue)) {
          throw new MetacompressError(
            ErrorCodes.NAN_WEIGHTS,
            `the loss became ${lossValue} at step ${state.step + 1} (learning rate ${lr}); try a lower learning rate`,
            {
              field: 'schedule.lr',
              step: state.step + 1,
            },
          );
        }
        state.step++;
        state.window.loss += lossValue;
        state.window.steps++;
        const info: StepInfo = {
          step: state.step,
          totalSteps,
          epoch: position.epoch,
          lr,
          loss: lossValue,
          hard: hard!,
          ...(target && alpha > 0 ? { soft: rest.shift()! } : {}),
          ...(adapters.length > 0 ? { hint: rest.shift()! } : {}),
        };
        options.onStep?.(info);
        const last = state.step === totalSteps;
        if (state.step % settings.progressEvery === 0 || last) {
          const record = { step: state.step, loss: state.window.loss / state.window.steps, lr };
          state.history.push(record);
          task.update(state.step, { loss: record.loss, lr });
          state.window = { loss: 0, steps: 0 };
        }
        let evaluated = false;
        if (state.step % settings.evalEvery === 0 || last) {
          validate();
          evaluated = true;
        }
        const every = settings.checkpointEvery;
        if (every !== undefined ? state.step % every === 0 : evaluated && !last) await save();
        if (last || state.stoppedEarly) break;
      }
    }
    await save();
    if (settings.restoreBest && state.bestWeights) restore(weights, state.bestWeights, undefined, 'best');
    const graph = settings.batchNorm === 'insert' ? foldBatchNorm(model.toGraph()) : model.toGraph();
    const final = state.evaluations[state.evaluations.length - 1];
    task.end({
      steps: state.step,
      ...(state.history.length ? { loss: state.history[state.history.length - 1]!.loss } : {}),
      ...(state.best ? { valAccuracy: (settings.restoreBest ? state.best : final!).accuracy } : {}),
    });
    return {
      graph,
      steps: state.step,
      totalSteps,
      stoppedEarly: state.stoppedEarly,
      ...(resumedFrom !== undefined ? { resumedFrom } : {}),
      evaluations: state.evaluations,
      ...(state.best ? { best: state.best } : {}),
      history: state.history,
      hints,
      settings,
      durationMs: performance.now() - started,
    };
  } finally {
    for (const a of adapters) a.dispose();
    optimizer.dispose();
    teacher?.dispose();
    model.dispose();
  }
}
