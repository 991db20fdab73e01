import { initTfjs } from '@metacompress/backend-tfjs/base';
import { isMetacompressError } from '@metacompress/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateModel } from '../finetune/evaluate-model';
import { finetune } from '../finetune/finetune';
import { blobs, mlpGraph, toyModelFactory } from '../test-model';
import { distillStudent } from './distill-student';

beforeAll(async () => {
  await initTfjs({ prefer: ['wasm', 'cpu'] });
});

const train = blobs(512, 12, 4, 1, 'train');
const validation = blobs(256, 12, 4, 1, 'val', 1);

describe('distillStudent', () => {
  it('derives a re-initialized half-width student and trains it from the teacher', async () => {
    const teacher = (
      await finetune(mlpGraph([12, 32, 4], 5), {
        model: toyModelFactory,
        train,
        steps: 60,
        schedule: { kind: 'constant', lr: 0.01 },
      })
    ).graph;
    const r = await distillStudent(
      teacher,
      { width: 0.5, reinitialize: true, seed: 2 },
      {
        model: toyModelFactory,
        train,
        validation,
        epochs: 4,
        schedule: { kind: 'cosine', lr: 0.01 },
      },
    );
    expect(r.student.initializers.find((t) => t.name === 'fc0.weight')!.dims).toEqual([16, 12]);
    expect(r.graph.initializers.find((t) => t.name === 'fc0.weight')!.dims).toEqual([16, 12]);
    expect(r.evaluations[0]!.accuracy).toBeLessThan(0.6);
    expect(r.best!.accuracy).toBeGreaterThan(r.evaluations[0]!.accuracy + 0.3);
    const m = await toyModelFactory(r.graph, { role: 'teacher' });
    expect(evaluateModel(m, validation).accuracy).toBe(r.best!.accuracy);
    m.dispose();
  });

  it('takes any student graph, and checks output shapes', async () => {
    const teacher = mlpGraph([12, 32, 4], 5);
    const r = await distillStudent(teacher, mlpGraph([12, 6, 4], 1), {
      model: toyModelFactory,
      train,
      steps: 3,
    });
    expect(r.steps).toBe(3);
    await expect(
      distillStudent(teacher, mlpGraph([12, 6, 3], 1), { model: toyModelFactory, train, steps: 3 }),
    ).rejects.toSatisfy((e: unknown) => isMetacompressError(e, 'MC_SHAPE_MISMATCH'));
    await expect(
      distillStudent(undefined as never, mlpGraph([12, 6, 3], 1), {
        model: toyModelFactory,
        train,
        steps: 3,
      }),
    ).rejects.toSatisfy((e: unknown) => isMetacompressError(e, 'MC_INVALID_ARGUMENT'));
  });
});
