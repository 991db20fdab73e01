import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTfjs } from '@metacompress/backend-tfjs';
import { isMetacompressError, type ProgressEvent } from '@metacompress/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../checkpoint/checkpoint-file';
import { blobs, mlpGraph, toyModelFactory, weightsOf } from '../test-model';
import { finetune } from './finetune';
import type { FinetuneOptions } from './finetune-options';
import { evaluateModel } from './evaluate-model';

const dir = await mkdtemp(join(tmpdir(), 'distill-ft-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await initTfjs({ prefer: ['wasm', 'cpu'] });
});

const train = blobs(512, 12, 4, 1, 'blobs/train');
const validation = blobs(256, 12, 4, 1, 'blobs/val', 1); // same centers (same seed), other samples
const base = { model: toyModelFactory, batchSize: 32 } satisfies Partial<FinetuneOptions>;

async function accuracyOf(graph: ReturnType<typeof mlpGraph>): Promise<number> {
  const m = await toyModelFactory(graph, { role: 'teacher' });
  try {
    return evaluateModel(m, validation).accuracy;
  } finally {
    m.dispose();
  }
}

let teacher: ReturnType<typeof mlpGraph>;

describe('finetune', () => {
  it('cross-entropy fine-tuning (no teacher) trains a model', async () => {
    const start = mlpGraph([12, 32, 4], 5, 'teacher');
    const before = await accuracyOf(start);
    const r = await finetune(start, { ...base, train, steps: 60, schedule: { kind: 'constant', lr: 0.01 } });
    teacher = r.graph;
    const after = await accuracyOf(teacher);
    expect(after).toBeGreaterThan(0.8);
    expect(after).toBeGreaterThan(before + 0.1);
    expect(r.steps).toBe(60);
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0]!.loss);
    // the input graph is untouched
    expect(weightsOf(start)).toEqual(weightsOf(mlpGraph([12, 32, 4], 5)));
  });

  it('distills a narrower student from the teacher (soft targets + hints with adapters)', async () => {
    const student = mlpGraph([12, 8, 4], 9, 'student');
    const [teacherAccuracy, studentBefore] = [await accuracyOf(teacher), await accuracyOf(student)];
    const soft: number[] = [];
    const hints: number[] = [];
    const r = await finetune(student, {
      ...base,
      train,
      validation,
      teacher,
      epochs: 4,
      schedule: { kind: 'cosine', lr: 0.01 },
      hints: [{ teacher: 'relu0_out' }],
      hintWeight: 0.1,
      onStep: (s) => {
        soft.push(s.soft!);
        hints.push(s.hint!);
      },
    });
    expect(r.hints).toEqual([{ teacher: 'relu0_out', student: 'relu0_out' }]);
    expect(r.settings.totalSteps).toBe(64);
    expect(r.best!.accuracy).toBeGreaterThan(studentBefore + 0.3);
    expect(r.best!.accuracy).toBeGreaterThan(teacherAccuracy - 0.1);
    expect(await accuracyOf(r.graph)).toBe(r.best!.accuracy);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(soft.slice(-10))).toBeLessThan(mean(soft.slice(0, 10)) * 0.5);
    expect(mean(hints.slice(-10))).toBeLessThan(mean(hints.slice(0, 10)));
  });

  it('is deterministic for a seed, and the seed matters', async () => {
    const options = {
      ...base,
      train,
      teacher,
      steps: 12,
      seed: 3,
      hints: [{ teacher: 'relu0_out' }],
    } satisfies FinetuneOptions;
    const a = await finetune(mlpGraph([12, 8, 4], 2), options);
    const b = await finetune(mlpGraph([12, 8, 4], 2), options);
    const c = await finetune(mlpGraph([12, 8, 4], 2), { ...options, seed: 4 });
    expect(weightsOf(a.graph)).toEqual(weightsOf(b.graph));
    expect(weightsOf(a.graph)).not.toEqual(weightsOf(c.graph));
  });

  it('resumes exactly: N steps straight = N/2, interrupt, resume N/2 (Adam moments, hints, validation, data order)', async () => {
    const options = {
      ...base,
      train,
      validation,
      teacher,
      steps: 24,
      evalEvery: 5,
      seed: 11,
      hints: [{ teacher: 'relu0_out' }],
      schedule: { kind: 'cosine', lr: 0.01, warmupSteps: 3 },
    } satisfies FinetuneOptions;
    const straight = await finetune(mlpGraph([12, 8, 4], 2), options);
    const checkpoint = join(dir, 'resume.ckpt');
    const controller = new AbortController();
    const interrupted = finetune(mlpGraph([12, 8, 4], 2), {
      ...options,
      checkpoint,
      signal: controller.signal,
      onStep: (s) => s.step === 12 && controller.abort(),
    });
    await expect(interrupted).rejects.toMatchObject({ code: 'MC_ABORTED', details: { step: 12 } });
    const resumed = await finetune(mlpGraph([12, 8, 4], 2), { ...options, checkpoint });
    expect(resumed.resumedFrom).toBe(12);
    expect(resumed.steps).toBe(24);
    expect(weightsOf(resumed.graph)).toEqual(weightsOf(straight.graph));
    expect(resumed.evaluations).toEqual(straight.evaluations);
    expect(resumed.history).toEqual(straight.history);
  });

  it('refuses a checkpoint of another job', async () => {
    const checkpoint = join(dir, 'other.ckpt');
    await finetune(mlpGraph([12, 8, 4], 2), { ...base, train, teacher, steps: 2, checkpoint });
    await expect(
      finetune(mlpGraph([12, 8, 4], 2), { ...base, train, teacher, steps: 3, checkpoint }),
    ).rejects.toMatchObject({
      code: 'MC_CHECKPOINT_INVALID',
      details: { field: 'totalSteps', file: checkpoint },
    });
    await expect(
      finetune(mlpGraph([12, 16, 4], 2), { ...base, train, teacher, steps: 2, checkpoint }),
    ).rejects.toMatchObject({
      code: 'MC_CHECKPOINT_INVALID',
      details: { field: 'student' },
    });
    // resume: false starts over and overwrites
    const fresh = await finetune(mlpGraph([12, 8, 4], 2), {
      ...base,
      train,
      teacher,
      steps: 3,
      checkpoint,
      resume: false,
    });
    expect(fresh.resumedFrom).toBeUndefined();
    await saveCheckpoint(checkpoint, { state: { config: { format: 'something-else' } }, sections: {} });
    await expect(
      finetune(mlpGraph([12, 8, 4], 2), { ...base, train, steps: 2, checkpoint }),
    ).rejects.toMatchObject({ code: 'MC_CHECKPOINT_INVALID' });
  });

  it('stops early without improvement and returns the best-validation weights', async () => {
    const start = mlpGraph([12, 8, 4], 2);
    const options = {
      ...base,
      train,
      validation,
      steps: 40,
      evalEvery: 4,
      patience: 2,
      schedule: { kind: 'constant', lr: 1e-9 },
    } satisfies FinetuneOptions;
    const r = await finetune(start, options);
    expect(r.stoppedEarly).toBe(true);
    expect(r.steps).toBe(8);
    expect(r.evaluations.map((e) => e.step)).toEqual([0, 4, 8]);
    expect(r.best!.step).toBe(0);
    expect(weightsOf(r.graph)).toEqual(weightsOf(start));
    const last = await finetune(start, { ...options, restoreBest: false });
    expect(weightsOf(last.graph)).not.toEqual(weightsOf(start));
  });

  it('follows the learning-rate schedule and reports progress through startTask', async () => {
    const events: ProgressEvent[] = [];
    const lrs: number[] = [];
    await finetune(mlpGraph([12, 8, 4], 2), {
      ...base,
      train,
      validation,
      steps: 10,
      evalEvery: 5,
      progressEvery: 5,
      schedule: { kind: 'step', lr: 0.1, stepSize: 4, gamma: 0.5, warmupSteps: 2 },
      progress: { emit: (e) => events.push(e) },
      task: 'recover',
      onStep: (s) => lrs.push(s.lr),
    });
    expect(lrs).toEqual([0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]);
    expect(events[0]).toEqual({ type: 'start', task: 'recover', total: 10, unit: 'steps' });
    const advances = events.filter((e) => e.type === 'advance');
    expect(
      advances.some((e) => e.type === 'advance' && e.done === 5 && typeof e.metrics?.loss === 'number'),
    ).toBe(true);
    expect(
      advances
        .filter((e) => e.type === 'advance' && typeof e.metrics?.valAccuracy === 'number')
        .map((e) => (e as { done: number }).done),
    ).toEqual([0, 5, 10]);
    expect(events.at(-1)).toMatchObject({ type: 'end', task: 'recover', metrics: { steps: 10 } });
  });

  it('trains only the selected initializers', async () => {
    const start = mlpGraph([12, 8, 4], 2);
    const r = await finetune(start, { ...base, train, steps: 5, trainable: (n) => n.startsWith('fc1.') });
    const before = weightsOf(start);
    const after = weightsOf(r.graph);
    expect(after['fc0.weight']).toEqual(before['fc0.weight']);
    expect(after['fc1.weight']).not.toEqual(before['fc1.weight']);
  });
});

describe('finetune: bad input', () => {
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (error) {
      return isMetacompressError(error)
        ? `${error.code} ${String(error.details.field)}`
        : `untyped: ${String(error)}`;
    }
    return 'no error';
  };
  const student = mlpGraph([12, 8, 4], 2);

  it('teacher and student with different output shapes', async () => {
    expect(
      await code(finetune(student, { ...base, train, teacher: mlpGraph([12, 8, 5], 1), steps: 2 })),
    ).toBe('MC_SHAPE_MISMATCH teacher');
    // declared shapes agree ([N, 3]-less declaration) but the real outputs differ
    const undeclared = { ...mlpGraph([12, 8, 5], 1), outputs: [{ name: 'logits' }] };
    expect(await code(finetune(student, { ...base, train, teacher: undeclared, steps: 2 }))).toBe(
      'MC_SHAPE_MISMATCH teacher',
    );
  });

  it('a budget of 0 steps or epochs, or both or neither', async () => {
    expect(await code(finetune(student, { ...base, train, steps: 0 }))).toBe('MC_INVALID_ARGUMENT steps');
    expect(await code(finetune(student, { ...base, train, epochs: 0 }))).toBe('MC_INVALID_ARGUMENT epochs');
    expect(await code(finetune(student, { ...base, train, steps: 2, epochs: 1 }))).toBe(
      'MC_INVALID_ARGUMENT steps',
    );
    expect(await code(finetune(student, { ...base, train }))).toBe('MC_INVALID_ARGUMENT steps');
  });

  it('empty data, soft targets or hints without a teacher, unknown hint values, bad options', async () => {
    expect(await code(finetune(student, { ...base, train: blobs(0, 12, 4, 1), steps: 2 }))).toBe(
      'MC_EMPTY_DATASET train',
    );
    expect(await code(finetune(student, { ...base, train, steps: 2, alpha: 0.5 }))).toBe(
      'MC_INVALID_ARGUMENT alpha',
    );
    expect(await code(finetune(student, { ...base, train, steps: 2, hints: 'auto' }))).toBe(
      'MC_INVALID_ARGUMENT hints',
    );
    expect(
      await code(
        finetune(student, { ...base, train, teacher: student, steps: 2, hints: [{ teacher: 'nope' }] }),
      ),
    ).toBe('MC_INVALID_ARGUMENT hints[0].teacher');
    expect(await code(finetune(student, { ...base, train, steps: 2, patience: 2 }))).toBe(
      'MC_INVALID_ARGUMENT patience',
    );
    expect(await code(finetune(student, { ...base, train, steps: 2, temperature: 0 }))).toBe(
      'MC_INVALID_ARGUMENT temperature',
    );
    expect(
      await code(finetune(student, { ...base, train, steps: 2, schedule: { kind: 'cosine', lr: -1 } })),
    ).toBe('MC_INVALID_ARGUMENT schedule.lr');
    expect(await code(finetune(student, { ...base, train, steps: 2, trainable: () => false }))).toBe(
      'MC_INVALID_ARGUMENT trainable',
    );
    expect(
      await code(
        finetune(student, {
          ...base,
          train,
          steps: 2,
          batchNorm: 'insert',
          fakeQuant: [{ target: 'fc0.weight', bits: 8 }],
        }),
      ),
    ).toBe('MC_INVALID_ARGUMENT batchNorm');
  });

  it('a diverging run fails with a typed error naming the step', async () => {
    expect(
      await code(
        finetune(student, {
          ...base,
          train,
          steps: 30,
          optimizer: { kind: 'sgd' },
          schedule: { kind: 'constant', lr: 1e6 },
        }),
      ),
    ).toBe('MC_NAN_WEIGHTS schedule.lr');
  });
});
