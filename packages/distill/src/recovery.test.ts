// End-to-end on the real stack: ONNX fixtures, the IR executor of backend-tfjs (wasm), MNIST from
// @metacompress/tasks and onnxruntime-web for scoring the exported model. A reduced version of
// bench/recovery.bench.ts (which runs the full-epoch comparison).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrtWebBackend } from '@metacompress/backend-ort/base';
import { initTfjs, type TfjsRuntime } from '@metacompress/backend-tfjs/base';
import { costOf, encodeOnnx, loadOnnx, toFloat32, type Graph } from '@metacompress/ir';
import { loadMnist, type TensorDataset } from '@metacompress/tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorModelFactory } from './finetune/executor-model';
import { finetune } from './finetune/finetune';
import type { FinetuneOptions } from './finetune/finetune-options';
import { shrinkWidth } from './student/shrink-width';

const fixture = (name: string) =>
  loadOnnx(new URL(`../../../fixtures/models/${name}`, import.meta.url).pathname);
const dir = await mkdtemp(join(tmpdir(), 'distill-recovery-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

let runtime: TfjsRuntime;
let train: TensorDataset;
let test: TensorDataset;
beforeAll(async () => {
  runtime = await initTfjs({ prefer: ['wasm'] });
  train = await loadMnist({ split: 'train' });
  test = await loadMnist({ split: 'test' });
});

const weights = (g: Graph) =>
  Object.fromEntries(g.initializers.map((t) => [t.name, Array.from(toFloat32(t))]));

describe('recovery of a pruned ResNet (reduced)', () => {
  it('a short distillation fine-tune clearly beats the pruned model, scored on the exported ONNX in onnxruntime-web', async () => {
    const teacher = await fixture('resnet.onnx');
    const pruned = shrinkWidth(teacher, { budget: { metric: 'macs', ratio: 0.25 } });
    expect(costOf(pruned).macs / costOf(teacher).macs).toBeLessThanOrEqual(0.2525);
    const ort = await createOrtWebBackend();
    const score = async (g: Graph) =>
      (await ort.evaluate(encodeOnnx(g), test, { limit: 1000, batchSize: 250 })).accuracy;
    const before = await score(pruned);
    const r = await finetune(pruned, {
      teacher,
      train,
      steps: 80,
      batchSize: 16,
      batchNorm: 'insert',
      schedule: { kind: 'cosine', lr: 1e-2, warmupSteps: 5 },
      model: createExecutorModelFactory({ runtime }),
    });
    const after = await score(r.graph);
    console.log(
      `pruned ResNet (25 % MACs) on 1000 test images: ${before} before, ${after} after 80 steps of 16 images`,
    );
    expect(after).toBeGreaterThan(before + 0.4);
  });
});

describe('determinism and resume on the executor (LeNet-5 pruned to half width)', () => {
  const setup = async (): Promise<[Graph, FinetuneOptions]> => {
    const teacher = await fixture('lenet5.onnx');
    const student = shrinkWidth(teacher, { width: 0.5 });
    return [
      student,
      {
        teacher,
        train,
        steps: 8,
        batchSize: 16,
        seed: 5,
        model: createExecutorModelFactory({ runtime }),
        schedule: { kind: 'cosine', lr: 3e-3, warmupSteps: 2 },
      },
    ];
  };

  it('two runs with one seed give identical weights', async () => {
    const [student, options] = await setup();
    const a = await finetune(student, options);
    const b = await finetune(student, options);
    expect(weights(a.graph)).toEqual(weights(b.graph));
    expect(weights(a.graph)).not.toEqual(weights(student));
  });

  it('N steps straight equal N/2, interrupted, plus N/2 resumed from the checkpoint', async () => {
    const [student, options] = await setup();
    const straight = await finetune(student, options);
    const checkpoint = join(dir, 'lenet.ckpt');
    const controller = new AbortController();
    await expect(
      finetune(student, {
        ...options,
        checkpoint,
        signal: controller.signal,
        onStep: (s) => s.step === 4 && controller.abort(),
      }),
    ).rejects.toMatchObject({ code: 'MC_ABORTED' });
    const resumed = await finetune(student, { ...options, checkpoint });
    expect(resumed.resumedFrom).toBe(4);
    expect(weights(resumed.graph)).toEqual(weights(straight.graph));
  });

  it('batchNorm insert: trains with batch statistics, resumes exactly (running statistics in the checkpoint), folds back', async () => {
    const [student, base] = await setup();
    const options = { ...base, batchNorm: 'insert', calibrationBatches: 2 } satisfies FinetuneOptions;
    const straight = await finetune(student, options);
    expect(straight.graph.nodes.map((n) => n.opType)).toEqual(student.nodes.map((n) => n.opType));
    expect(straight.graph.nodes.map((n) => n.outputs)).toEqual(student.nodes.map((n) => n.outputs));
    expect(weights(straight.graph)).not.toEqual(weights((await finetune(student, base)).graph));
    const checkpoint = join(dir, 'lenet-bn.ckpt');
    const controller = new AbortController();
    await expect(
      finetune(student, {
        ...options,
        checkpoint,
        signal: controller.signal,
        onStep: (s) => s.step === 3 && controller.abort(),
      }),
    ).rejects.toMatchObject({ code: 'MC_ABORTED' });
    const resumed = await finetune(student, { ...options, checkpoint });
    expect(weights(resumed.graph)).toEqual(weights(straight.graph));
  });
});
