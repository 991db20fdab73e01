/**
 * Recovery benchmark (issue 7 acceptance): a trained ResNet-style MNIST model is pruned uniformly
 * (L1 channel selection over coupling groups, physical removal) to 25 % of its MACs, then
 * fine-tuned for at most one epoch by knowledge distillation from the original and, with the same
 * budget, by plain cross-entropy. Every model is exported to ONNX and scored in onnxruntime-web on
 * the full 10k MNIST test set. Validation uses 5k images held out of the training set, never the
 * test set.
 *
 *   npx tsx --conditions=@metacompress/source packages/distill/bench/recovery.bench.ts \
 *     [--model fixtures/models/resnet.onnx] [--ratio 0.25] [--epochs 1] [--batch 32] [--lr 0.01] \
 *     [--warmup 50] [--modes kd,ce,kd-hints] [--batch-norm insert|frozen|batch] [--eval-every 400] \
 *     [--temperature 4] [--alpha 0.9] [--seeds 0,1,2] [--restore-best] [--out results.json]
 *
 * By default the weights at the end of the schedule are scored; `--restore-best` scores the
 * best-validation weights instead (with 5k validation images that choice is noisy, about ±0.15 pt).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createOrtWebBackend } from '@metacompress/backend-ort/base';
import { initTfjs } from '@metacompress/backend-tfjs/base';
import { costOf, encodeOnnx, loadOnnx, type Graph } from '@metacompress/ir';
import { loadMnist, splitDataset } from '@metacompress/tasks';
import { createExecutorModelFactory, finetune, shrinkWidth, type FinetuneOptions } from '../src/index';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: resolve(import.meta.dirname, '../../../fixtures/models/resnet.onnx') },
    ratio: { type: 'string', default: '0.25' },
    epochs: { type: 'string', default: '1' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.01' },
    warmup: { type: 'string', default: '50' },
    modes: { type: 'string', default: 'kd,ce' },
    'batch-norm': { type: 'string', default: 'insert' },
    'eval-every': { type: 'string', default: '400' },
    temperature: { type: 'string', default: '4' },
    alpha: { type: 'string', default: '0.9' },
    seeds: { type: 'string', default: '0' },
    'restore-best': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const runtime = await initTfjs({ prefer: ['wasm'], log: (m) => console.log(m) });
const ort = await createOrtWebBackend();
const teacher = await loadOnnx(args.model!);
const full = await loadMnist({ split: 'train' });
const test = await loadMnist({ split: 'test' });
const { train, validation } = splitDataset(full, { validation: 5000, seed: 1 });
const dir = await mkdtemp(join(tmpdir(), 'distill-bench-'));

async function ortAccuracy(graph: Graph, name: string): Promise<number> {
  const bytes = encodeOnnx(graph);
  await writeFile(join(dir, `${name}.onnx`), bytes);
  return (await ort.evaluate(bytes, test, { batchSize: 250 })).accuracy;
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const teacherAccuracy = await ortAccuracy(teacher, 'teacher');
const student = shrinkWidth(teacher, { budget: { metric: 'macs', ratio: Number(args.ratio) } });
const macsRatio = costOf(student).macs / costOf(teacher).macs;
const prunedAccuracy = await ortAccuracy(student, 'pruned');
console.log(
  `engine ${runtime.engine}; train ${train.length}, validation ${validation.length}, test ${test.length}`,
);
console.log(
  `teacher ${args.model}: ${pct(teacherAccuracy)} (onnxruntime-web, 10k test), ${costOf(teacher).macs} MACs`,
);
console.log(
  `pruned to ${pct(macsRatio)} of the MACs (${costOf(student).macs}): ${pct(prunedAccuracy)} before fine-tuning`,
);

const kdOptions = { teacher, alpha: Number(args.alpha), temperature: Number(args.temperature) };
const modes: Record<string, Partial<FinetuneOptions>> = {
  kd: kdOptions,
  'kd-hints': { ...kdOptions, hints: 'auto', hintWeight: 1 },
  ce: {},
};
const seeds = args.seeds!.split(',').map(Number);
const results: {
  mode: string;
  seed: number;
  testAccuracy: number;
  gapToTeacherPt: number;
  seconds: number;
  msPerStep: number;
  steps: number;
  validation: [number, number][];
}[] = [];
for (const seed of seeds) {
  for (const mode of args.modes!.split(',')) {
    if (!modes[mode]) throw new Error(`unknown mode ${mode}; use ${Object.keys(modes).join(', ')}`);
    const started = performance.now();
    let last = started;
    const r = await finetune(student, {
      ...modes[mode],
      train,
      validation,
      epochs: Number(args.epochs),
      batchSize: Number(args.batch),
      schedule: { kind: 'cosine', lr: Number(args.lr), warmupSteps: Number(args.warmup) },
      evalEvery: Number(args['eval-every']),
      batchNorm: args['batch-norm'] as FinetuneOptions['batchNorm'],
      restoreBest: args['restore-best'],
      seed,
      model: createExecutorModelFactory({ runtime }),
      onStep: (s) => {
        if (s.step % 100 !== 0) return;
        const now = performance.now();
        const ms = ((now - last) / 100).toFixed(0);
        console.log(
          `  ${mode}/${seed} step ${s.step}/${s.totalSteps} loss ${s.loss.toFixed(4)} lr ${s.lr.toExponential(2)} (${ms} ms/step)`,
        );
        last = now;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const accuracy = await ortAccuracy(r.graph, `recovered-${mode}-${seed}`);
    const row = {
      mode,
      seed,
      testAccuracy: accuracy,
      gapToTeacherPt: +(100 * (teacherAccuracy - accuracy)).toFixed(2),
      seconds: Math.round(seconds),
      msPerStep: Math.round((seconds * 1000) / r.steps),
      steps: r.steps,
      validation: r.evaluations.map((e) => [e.step, e.accuracy] as [number, number]),
    };
    results.push(row);
    console.log(
      `${mode} (seed ${seed}): ${pct(accuracy)} on the 10k test set after ${r.steps} steps ` +
        `(${(r.steps / r.settings.stepsPerEpoch).toFixed(2)} epochs, ${row.seconds} s); gap to the teacher ${row.gapToTeacherPt} pt; ` +
        `validation ${r.evaluations.map((e) => `${e.step}: ${pct(e.accuracy)}`).join(', ')}`,
    );
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const perMode = Object.fromEntries(
  [...new Set(results.map((r) => r.mode))].map((m) => {
    const xs = results.filter((r) => r.mode === m).map((r) => r.testAccuracy);
    const stats = { runs: xs.length, mean: mean(xs), min: Math.min(...xs), max: Math.max(...xs) };
    return [m, { ...stats, meanGapToTeacherPt: +(100 * (teacherAccuracy - stats.mean)).toFixed(2) }];
  }),
);
const kd = perMode.kd;
const ce = perMode.ce;
const summary = {
  engine: runtime.engine,
  model: args.model,
  macsRatio,
  teacherAccuracy,
  prunedAccuracy,
  settings: {
    batchNorm: args['batch-norm'],
    epochs: Number(args.epochs),
    batch: Number(args.batch),
    lr: Number(args.lr),
    warmup: Number(args.warmup),
    temperature: Number(args.temperature),
    alpha: Number(args.alpha),
    seeds,
    restoreBest: args['restore-best'],
  },
  perMode,
  results,
  ...(kd && ce ? { distillationMinusCrossEntropyPt: +(100 * (kd.mean - ce.mean)).toFixed(2) } : {}),
  exportedTo: dir,
};
console.log(JSON.stringify(summary, null, 2));
for (const [m, v] of Object.entries(perMode)) {
  console.log(
    `${m}: mean ${pct(v.mean)} over ${v.runs} seed(s) (min ${pct(v.min)}, max ${pct(v.max)}); mean gap to the teacher ${v.meanGapToTeacherPt} pt`,
  );
}
if (summary.distillationMinusCrossEntropyPt !== undefined) {
  const d = summary.distillationMinusCrossEntropyPt;
  console.log(
    d > 0
      ? `distillation beats cross-entropy by ${d} pt (mean over seeds)`
      : `distillation does NOT beat cross-entropy on this model: ${d} pt (mean over seeds)`,
  );
}
if (args.out) await writeFile(args.out, JSON.stringify(summary, null, 2));
