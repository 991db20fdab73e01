/**
 * Training speed of the TensorFlow.js engines this package sets up: a LeNet-5 SGD step (batch 64,
 * 28×28 inputs) and an MLP 784-300-100-10 step on wasm (composed backprop kernels) and on cpu
 * (composed filter gradients), with the cpu backend's own Conv2DBackpropFilter for comparison,
 * plus the backprop-filter kernels alone; then Conv2DBackpropInput alone (the stock kernels vs
 * the composed one, with the route the registered wasm kernel takes) and a training step of the
 * ResNet-BN fixture through the IR executor on wasm with the stock and the composed
 * Conv2DBackpropInput. Kernel and ResNet figures are CPU time of this process (steady while
 * others load the machine); the LeNet/MLP figures are wall time.
 *
 *   npm run bench -w @metacompress/backend-tfjs         (BENCH_STEPS=20 by default)
 *   npm run bench -w @metacompress/backend-tfjs -- --only bpi,resnet   (sections: lenet, bpf, bpi, resnet)
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset, LabeledBatch } from '@metacompress/core';
import { loadOnnx } from '@metacompress/ir';
import {
  buildExecutor,
  conv2DBackpropInputKernel,
  conv2DBackpropInputRoute,
  convGeometry,
  initTfjs,
  nativeKernel,
  train,
} from '../src/base';
import { createLeNet, syntheticDigits } from '../src/test-lenet';
import { seeded } from '../src/test-util';

const STEPS = Number(process.env.BENCH_STEPS ?? 20);
const BATCH = 64;
const onlyArg = process.argv.indexOf('--only');
const ONLY = onlyArg >= 0 ? new Set(process.argv[onlyArg + 1]!.split(',')) : undefined;
const section = (name: string) => !ONLY || ONLY.has(name);

function time(f: () => void, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t0) / reps;
}

function lenetStepMs(steps: number): number {
  const net = createLeNet(1);
  const { x, y } = syntheticDigits(BATCH, 5);
  net.step(x, y, 0.01);
  net.step(x, y, 0.01);
  const ms = time(() => net.step(x, y, 0.01), steps);
  tf.dispose([x, y, ...net.params]);
  return ms;
}

function mlpStepMs(steps: number): number {
  const sizes = [784, 300, 100, 10];
  const params: tf.Variable[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    params.push(
      tf.variable(
        tf.mul(
          tf.tensor2d(seeded(sizes[i]! * sizes[i + 1]!, i), [sizes[i]!, sizes[i + 1]!]),
          Math.sqrt(3 / sizes[i]!),
        ),
      ),
    );
    params.push(tf.variable(tf.zeros([sizes[i + 1]!])));
  }
  const x = tf.tensor2d(seeded(BATCH * 784, 9), [BATCH, 784]);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: BATCH }, (_, i) => i % 10),
      'int32',
    ),
    10,
  );
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        let h: tf.Tensor = x;
        for (let i = 0; i < params.length; i += 2) {
          h = tf.add(tf.matMul(h as tf.Tensor2D, params[i] as tf.Tensor2D), params[i + 1]!);
          if (i + 2 < params.length) h = tf.relu(h);
        }
        return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(h)), 1))) as tf.Scalar;
      }, params);
      for (const p of params) p.assign(tf.sub(p, tf.mul(grads[p.name]!, 0.01)));
    });
  step();
  const ms = time(step, steps);
  tf.dispose([x, y, ...params]);
  return ms;
}

function backpropFilterMs(reps: number): Record<string, number> {
  const out: Record<string, number> = {};
  const shapes: [string, number[], number[]][] = [
    ['lenet conv1 [64,28,28,1]→6', [64, 28, 28, 1], [5, 5, 1, 6]],
    ['lenet conv2 [64,12,12,6]→16', [64, 12, 12, 6], [5, 5, 6, 16]],
    ['3×3 [32,16,16,32]→32 same', [32, 16, 16, 32], [3, 3, 32, 32]],
  ];
  for (const [name, xs, fs] of shapes) {
    const pad = name.includes('same') ? 'same' : 'valid';
    const g = tf.backend_util.computeConv2DInfo(
      xs as [number, number, number, number],
      fs as [number, number, number, number],
      1,
      1,
      pad,
    );
    const x = tf.tensor(
      seeded(
        xs.reduce((a, b) => a * b),
        1,
      ),
      xs,
    );
    const dy = tf.tensor(
      seeded(
        g.outShape.reduce((a, b) => a * b),
        2,
      ),
      g.outShape,
    );
    out[name] = time(
      () =>
        tf.dispose(
          tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
            strides: 1,
            pad,
            dataFormat: 'NHWC',
            filterShape: fs,
          } as never) as tf.Tensor,
        ),
      reps,
    );
    tf.dispose([x, dy]);
  }
  return out;
}

function withNativeCpuFilterGradient<T>(f: () => T): T {
  const native = nativeKernel('Conv2DBackpropFilter', 'cpu')!;
  const composed = tf.getKernel('Conv2DBackpropFilter', 'cpu')!;
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel(native);
  try {
    return f();
  } finally {
    tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
    tf.registerKernel(composed);
  }
}

/** Median CPU time of this process per call of `f`, in ms (repeats up to ~5 ms per sample). */
function cpuMs(f: () => void, samples = 7): number {
  f();
  const t0 = performance.now();
  f();
  const reps = Math.max(1, Math.ceil(5 / Math.max(performance.now() - t0, 1e-3)));
  const runs: number[] = [];
  for (let s = 0; s < samples; s++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) f();
    const c = process.cpuUsage(c0);
    runs.push((c.user + c.system) / 1000 / reps);
  }
  return runs.sort((a, b) => a - b)[samples >> 1]!;
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];
const P1: Pad4 = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];
/** Conv2DBackpropInput geometries: the ResNet fixture's (batch 64, ONNX pads 1), larger/smaller spatial sizes, LeNet, tiny. */
const BPI_SHAPES: [string, number[], number[], number, 'same' | 'valid' | Pad4][] = [
  ['3×3 s1 [32,28,28,16]→16', [32, 28, 28, 16], [3, 3, 16, 16], 1, P1],
  ['3×3 s1 [64,28,28,16]→16', [64, 28, 28, 16], [3, 3, 16, 16], 1, P1],
  ['3×3 s1 [64,14,14,32]→32', [64, 14, 14, 32], [3, 3, 32, 32], 1, P1],
  ['3×3 s1 [64,7,7,64]→64', [64, 7, 7, 64], [3, 3, 64, 64], 1, P1],
  ['3×3 s2 [64,28,28,16]→32', [64, 28, 28, 16], [3, 3, 16, 32], 2, P1],
  ['3×3 s2 [64,14,14,32]→64', [64, 14, 14, 32], [3, 3, 32, 64], 2, P1],
  ['1×1 s2 [64,28,28,16]→32', [64, 28, 28, 16], [1, 1, 16, 32], 2, 'valid'],
  ['1×1 s2 [64,14,14,32]→64', [64, 14, 14, 32], [1, 1, 32, 64], 2, 'valid'],
  ['1×1 s1 [64,28,28,16]→32', [64, 28, 28, 16], [1, 1, 16, 32], 1, 'valid'],
  ['3×3 s1 [4,64,64,16]→16', [4, 64, 64, 16], [3, 3, 16, 16], 1, 'same'],
  ['3×3 s2 [4,64,64,16]→32', [4, 64, 64, 16], [3, 3, 16, 32], 2, 'same'],
  ['5×5 s1 [64,12,12,6]→16 (LeNet)', [64, 12, 12, 6], [5, 5, 6, 16], 1, 'valid'],
  ['3×3 s1 [8,8,8,8]→8', [8, 8, 8, 8], [3, 3, 8, 8], 1, 'same'],
  ['3×3 s2 [4,8,8,8]→8', [4, 8, 8, 8], [3, 3, 8, 8], 2, 'same'],
  ['3×3 s2 [2,8,8,8]→8', [2, 8, 8, 8], [3, 3, 8, 8], 2, 'same'],
  ['1×1 s1 [1,4,4,4]→4', [1, 4, 4, 4], [1, 1, 4, 4], 1, 'valid'],
];

interface BpiRow {
  name: string;
  route: string;
  stock: number;
  composed: number;
}

/** Conv2DBackpropInput alone on the active backend: its own kernel vs the composed one (always composed). */
function backpropInputMs(backendName: string): BpiRow[] {
  const stock = nativeKernel('Conv2DBackpropInput', backendName)!;
  const composed = conv2DBackpropInputKernel(backendName);
  const rows: BpiRow[] = [];
  for (const [name, xs, fs, strides, pad] of BPI_SHAPES) {
    const g = tf.backend_util.computeConv2DInfo(
      xs as [number, number, number, number],
      fs as [number, number, number, number],
      strides,
      1,
      pad,
    );
    const dy = tf.tensor(
      seeded(
        g.outShape.reduce((a, b) => a * b),
        1,
      ),
      g.outShape,
    );
    const filter = tf.tensor(
      seeded(
        fs.reduce((a, b) => a * b),
        2,
      ),
      fs,
    );
    const attrs = { strides, pad, dataFormat: 'NHWC', inputShape: xs } as never;
    const call = (k: tf.KernelConfig) => () => {
      const out = k.kernelFunc({ inputs: { dy, filter }, attrs, backend: tf.backend() }) as tf.TensorInfo;
      tf.backend().disposeData(out.dataId);
    };
    const route = conv2DBackpropInputRoute(convGeometry(xs, fs, strides, 1, pad, undefined, false));
    rows.push({ name, route, stock: cpuMs(call(stock)), composed: cpuMs(call(composed)) });
    tf.dispose([dy, filter]);
  }
  return rows;
}

/** Runs `f` with `config` registered as the kernel `name` of `backendName`, then restores the previous one. */
async function withKernel<T>(
  name: string,
  backendName: string,
  config: tf.KernelConfig,
  f: () => Promise<T>,
): Promise<T> {
  const previous = tf.getKernel(name, backendName)!;
  tf.unregisterKernel(name, backendName);
  tf.registerKernel({ ...config, kernelName: name, backendName });
  try {
    return await f();
  } finally {
    tf.unregisterKernel(name, backendName);
    tf.registerKernel(previous);
  }
}

/** Random 1×28×28 inputs with labels (the step's cost does not depend on the values). */
function syntheticDataset(length: number): Dataset {
  const x = seeded(length * 784, 11);
  const labels = Int32Array.from({ length }, (_, i) => (i * 7) % 10);
  return {
    name: 'synthetic-28x28',
    length,
    sampleShape: [1, 28, 28],
    numClasses: 10,
    *batches(batchSize, options = {}): Iterable<LabeledBatch> {
      const n = Math.min(length, options.limit ?? length);
      for (let i = 0; i + (options.dropLast ? batchSize : 1) <= n; i += batchSize) {
        const b = Math.min(batchSize, n - i);
        yield {
          inputs: { dims: [b, 1, 28, 28], data: x.subarray(i * 784, (i + b) * 784) },
          labels: labels.subarray(i, i + b),
        };
      }
    },
  };
}

interface StepFigures {
  /** CPU ms per step (median of three runs). */
  cpu: number;
  /** Wall ms per step (median of three runs). */
  wall: number;
  /** CPU ms per step in Conv2DBackpropInput. */
  bpi: number;
}

/**
 * A ResNet-BN (fixture) training step through the IR executor: Adam, batch 64, batch-norm batch
 * statistics, with the Conv2DBackpropInput kernel currently registered (timed by a wrapper).
 */
async function resnetStep(steps: number): Promise<StepFigures> {
  const graph = await loadOnnx(join(import.meta.dirname, '../../../fixtures/models/resnet-bn.onnx'));
  const data = syntheticDataset(BATCH * steps);
  const current = tf.getKernel('Conv2DBackpropInput', 'wasm')!;
  let bpiMs = 0;
  const timed: tf.KernelConfig = {
    ...current,
    kernelFunc: (args) => {
      const c0 = process.cpuUsage();
      const out = current.kernelFunc(args);
      const c = process.cpuUsage(c0);
      bpiMs += (c.user + c.system) / 1000;
      return out;
    },
  };
  return withKernel('Conv2DBackpropInput', 'wasm', timed, async () => {
    const exec = buildExecutor(graph, { tf, batchNorm: 'batch' });
    try {
      await train(exec, data, { steps: 2, batchSize: BATCH, seed: 1 });
      const runs: StepFigures[] = [];
      for (let r = 0; r < 3; r++) {
        bpiMs = 0;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await train(exec, data, { steps, batchSize: BATCH, seed: 2 + r });
        const c = process.cpuUsage(c0);
        runs.push({
          cpu: (c.user + c.system) / 1000 / steps,
          wall: (performance.now() - t0) / steps,
          bpi: bpiMs / steps,
        });
      }
      const mid = (k: keyof StepFigures) => runs.map((x) => x[k]).sort((a, b) => a - b)[1]!;
      return { cpu: mid('cpu'), wall: mid('wall'), bpi: mid('bpi') };
    } finally {
      exec.dispose();
    }
  });
}

const fmt = (ms: number) =>
  `${ms.toFixed(1).padStart(8)} ms/step  ${((BATCH * 1000) / ms).toFixed(0).padStart(6)} samples/s`;
const ms = (v: number, width = 8) => v.toFixed(v < 1 ? 3 : 1).padStart(width);

async function main() {
  console.log(`batch ${BATCH}, ${STEPS} timed steps after warm-up (node ${process.version})`);
  if (section('lenet') || section('bpf')) {
    const results: Record<string, { lenet: number; mlp: number; bpf: Record<string, number> }> = {};
    for (const engine of ['wasm', 'cpu'] as const) {
      const rt = await initTfjs({ prefer: [engine] });
      results[rt.engine] = {
        lenet: section('lenet') ? lenetStepMs(STEPS) : NaN,
        mlp: section('lenet') ? mlpStepMs(STEPS) : NaN,
        bpf: section('bpf') ? backpropFilterMs(5) : {},
      };
    }
    const w = results['tfjs-wasm']!;
    const c = results['tfjs-cpu']!;
    if (section('lenet')) {
      const nativeLenet = withNativeCpuFilterGradient(() => lenetStepMs(Math.max(1, Math.round(STEPS / 10))));
      console.log('LeNet-5 SGD step');
      console.log(`  tfjs-wasm (composed backprop kernels)      ${fmt(w.lenet)}`);
      console.log(`  tfjs-cpu  (composed filter gradient)       ${fmt(c.lenet)}`);
      console.log(`  tfjs-cpu  (its own Conv2DBackpropFilter)   ${fmt(nativeLenet)}`);
      console.log(
        `  wasm / cpu speed-up: ${(c.lenet / w.lenet).toFixed(1)}×; composed vs own kernel on cpu: ${(nativeLenet / c.lenet).toFixed(1)}×`,
      );
      console.log('MLP 784-300-100-10 SGD step');
      console.log(`  tfjs-wasm ${fmt(w.mlp)}`);
      console.log(`  tfjs-cpu  ${fmt(c.mlp)}`);
      console.log(`  wasm / cpu speed-up: ${(c.mlp / w.mlp).toFixed(1)}×`);
    }
    if (section('bpf')) {
      await initTfjs({ prefer: ['cpu'] });
      const nativeBpf = withNativeCpuFilterGradient(() => backpropFilterMs(1));
      console.log('Conv2DBackpropFilter alone (ms): wasm composed | cpu composed | cpu own');
      for (const name of Object.keys(w.bpf)) {
        console.log(
          `  ${name.padEnd(30)} ${w.bpf[name]!.toFixed(1).padStart(7)} | ${c.bpf[name]!.toFixed(1).padStart(7)} | ${nativeBpf[name]!.toFixed(1).padStart(8)}`,
        );
      }
    }
  }
  if (section('bpi')) {
    for (const engine of ['wasm', 'cpu'] as const) {
      await initTfjs({ prefer: [engine] });
      const rows = backpropInputMs(engine);
      const installed =
        tf.getKernel('Conv2DBackpropInput', engine)?.kernelFunc !==
        nativeKernel('Conv2DBackpropInput', engine)?.kernelFunc;
      console.log(
        `Conv2DBackpropInput alone on ${engine}, CPU ms (${installed ? 'composed kernel installed; route = what it runs' : 'own kernel kept'}):`,
      );
      console.log(
        `  ${'geometry'.padEnd(32)}    stock | composed | stock/composed${installed ? ' | route' : ''}`,
      );
      for (const r of rows) {
        console.log(
          `  ${r.name.padEnd(32)} ${ms(r.stock)} | ${ms(r.composed)} | ${(r.stock / r.composed).toFixed(2).padStart(6)}×${installed ? `        | ${r.route}` : ''}`,
        );
      }
    }
  }
  if (section('resnet')) {
    await initTfjs({ prefer: ['wasm'] });
    const steps = Math.max(3, Math.round(STEPS / 2));
    const stock = nativeKernel('Conv2DBackpropInput', 'wasm')!;
    const before = await withKernel('Conv2DBackpropInput', 'wasm', stock, () => resnetStep(steps));
    const after = await resnetStep(steps);
    const line = (label: string, f: StepFigures) =>
      `  ${label.padEnd(34)} ${ms(f.cpu)} ms CPU/step ${ms(f.wall)} ms wall/step   ${ms(f.bpi)} ms CPU in Conv2DBackpropInput (${((100 * f.bpi) / f.cpu).toFixed(0)} %)`;
    console.log(
      `ResNet-BN fixture training step on wasm (IR executor, Adam, batch ${BATCH}, BN batch statistics, ${steps} steps × 3 runs, medians)`,
    );
    console.log(line('stock Conv2DBackpropInput (before)', before));
    console.log(line('composed Conv2DBackpropInput (after)', after));
    console.log(
      `  speed-up: step ${(before.cpu / after.cpu).toFixed(2)}× (CPU), ${(before.wall / after.wall).toFixed(2)}× (wall); Conv2DBackpropInput ${(before.bpi / after.bpi).toFixed(1)}×`,
    );
  }
}

void main();
