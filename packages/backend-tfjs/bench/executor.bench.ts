/**
 * Training throughput of the IR executor against a hand-written TensorFlow.js LayersModel of the
 * same LeNet-5 (the fixture `fixtures/models/lenet5.onnx`), on the same engine, batch 64, Adam,
 * real MNIST batches. Also times the executor's two layout strategies (channels-last activations
 * vs a transpose around every convolution/pool) and inference.
 *
 *   npx tsx --conditions=@metacompress/source bench/executor.bench.ts [--backend wasm|cpu] [--steps 40]
 */
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadOnnx } from '@metacompress/ir';
import { loadMnist } from '@metacompress/tasks';
import { buildExecutor, crossEntropy, createOptimizer, initTfjs, type Executor } from '../src/base';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const STEPS = Number(arg('steps', '40'));
const WARMUP = 5;
const BATCH = 64;

const runtime = await initTfjs({
  prefer: [arg('backend', 'wasm') as 'wasm' | 'cpu'],
  log: (m) => console.log(m),
});
const tf = runtime.tf;
const train = await loadMnist({ split: 'train' });
const batches = [
  ...train.batches(BATCH, { limit: BATCH * (STEPS + WARMUP), shuffleSeed: 3, dropLast: true }),
];
const inputs = batches.map((b) => tf.tensor4d(b.inputs.data, [BATCH, 1, 28, 28]));
const labels = batches.map((b) => tf.tensor1d(b.labels, 'int32'));
const graph = await loadOnnx(join(import.meta.dirname, '../../../fixtures/models/lenet5.onnx'));

/** Samples per second of wall time and of this process's CPU time (steady under load from others). */
interface Rate {
  wall: number;
  cpu: number;
}

/** Median over three timed runs of `STEPS` steps. */
async function measure(step: (i: number) => void | Promise<unknown>): Promise<Rate> {
  for (let i = 0; i < WARMUP; i++) await step(i);
  const runs: Rate[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < STEPS; i++) await step(WARMUP + i);
    const c = process.cpuUsage(c0);
    runs.push({
      wall: (STEPS * BATCH) / ((performance.now() - t0) / 1000),
      cpu: (STEPS * BATCH) / ((c.user + c.system) / 1e6),
    });
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
}

async function executorRate(layout: 'channels-last' | 'channels-first'): Promise<Rate> {
  const exec: Executor = buildExecutor(graph, { tf, layout });
  const opt = createOptimizer(tf, 'adam');
  const vars = exec.trainableVariables;
  const rate = await measure((i) =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => crossEntropy(tf, exec.predict(inputs[i]!, { training: true }), labels[i]!),
        vars as never,
      );
      opt.apply(
        vars,
        vars.map((v) => grads[v.name]),
        1e-3,
      );
    }),
  );
  opt.dispose();
  exec.dispose();
  return rate;
}

/** LeNet-5 as PyTorch defines it, written with tfjs-layers (NHWC, as Keras models are). */
function lenetLayers(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 6,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 120, activation: 'relu' }),
      tfl.layers.dense({ units: 84, activation: 'relu' }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
}

async function layersCustomLoopRate(): Promise<Rate> {
  const model = lenetLayers();
  const nhwc = inputs.map((x) => tf.transpose(x, [0, 2, 3, 1]));
  const opt = createOptimizer(tf, 'adam');
  const vars = model.trainableWeights.map(
    (w) => (w as unknown as { val: import('@tensorflow/tfjs-core').Variable }).val,
  );
  const rate = await measure((i) =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () =>
          crossEntropy(
            tf,
            model.apply(nhwc[i]!, { training: true }) as import('@tensorflow/tfjs-core').Tensor,
            labels[i]!,
          ),
        vars,
      );
      opt.apply(
        vars,
        vars.map((v) => grads[v.name]),
        1e-3,
      );
    }),
  );
  opt.dispose();
  tf.dispose(nhwc);
  model.dispose();
  return rate;
}

async function layersTrainOnBatchRate(): Promise<Rate> {
  const model = lenetLayers();
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: (yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  const nhwc = inputs.map((x) => tf.transpose(x, [0, 2, 3, 1]));
  const oneHot = labels.map((y) => tf.oneHot(y, 10));
  const rate = await measure((i) => model.trainOnBatch(nhwc[i]!, oneHot[i]!));
  tf.dispose([...nhwc, ...oneHot]);
  model.dispose();
  return rate;
}

async function inferenceRate(layout: 'channels-last' | 'channels-first'): Promise<Rate> {
  const exec = buildExecutor(graph, { tf, layout });
  const rate = await measure((i) => tf.dispose(exec.predict(inputs[i]!)));
  exec.dispose();
  return rate;
}

const results: [string, Rate][] = [
  ['IR executor, channels-last (default)', await executorRate('channels-last')],
  ['IR executor, transpose around each op', await executorRate('channels-first')],
  ['LayersModel, same custom loop', await layersCustomLoopRate()],
  ['LayersModel.trainOnBatch', await layersTrainOnBatchRate()],
];
const reference = results[2]![1];
const row = (name: string, r: Rate, ref?: Rate) =>
  `  ${name.padEnd(40)} ${r.wall.toFixed(0).padStart(6)} /s wall ${r.cpu.toFixed(0).padStart(6)} /s CPU` +
  (ref
    ? `  (${(r.wall / ref.wall).toFixed(2)}× wall, ${(r.cpu / ref.cpu).toFixed(2)}× CPU vs the LayersModel loop)`
    : '');
console.log(
  `\nLeNet-5 training samples/s, batch ${BATCH}, Adam, ${STEPS} steps × 3 (median), engine ${runtime.engine}:`,
);
for (const [name, rate] of results) console.log(row(name, rate, reference));
console.log(`\nInference samples/s, batch ${BATCH}:`);
console.log(row('IR executor, channels-last', await inferenceRate('channels-last')));
console.log(row('IR executor, transpose around each op', await inferenceRate('channels-first')));
tf.dispose([...inputs, ...labels]);
