/**
 * Training speed of the TensorFlow.js engines this package sets up: a LeNet-5 SGD step (batch 64,
 * 28×28 inputs) and an MLP 784-300-100-10 step on wasm (composed backprop kernels) and on cpu
 * (composed filter gradients), with the cpu backend's own Conv2DBackpropFilter for comparison,
 * plus the backprop-filter kernels alone.
 *
 *   npm run bench -w @metacompress/backend-tfjs         (BENCH_STEPS=20 by default)
 */
import * as tf from '@tensorflow/tfjs-core';
import { initTfjs, nativeKernel } from '../src/base';
import { createLeNet, syntheticDigits } from '../src/test-lenet';
import { seeded } from '../src/test-util';

const STEPS = Number(process.env.BENCH_STEPS ?? 20);
const BATCH = 64;

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
          tf
            .engine()
            .runKernel('Conv2DBackpropFilter', { x, dy }, {
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

const fmt = (ms: number) =>
  `${ms.toFixed(1).padStart(8)} ms/step  ${((BATCH * 1000) / ms).toFixed(0).padStart(6)} samples/s`;

async function main() {
  const results: Record<string, { lenet: number; mlp: number; bpf: Record<string, number> }> = {};
  for (const engine of ['wasm', 'cpu'] as const) {
    const rt = await initTfjs({ prefer: [engine] });
    results[rt.engine] = { lenet: lenetStepMs(STEPS), mlp: mlpStepMs(STEPS), bpf: backpropFilterMs(5) };
  }
  const nativeLenet = withNativeCpuFilterGradient(() => lenetStepMs(Math.max(1, Math.round(STEPS / 10))));
  const nativeBpf = withNativeCpuFilterGradient(() => backpropFilterMs(1));

  const w = results['tfjs-wasm']!;
  const c = results['tfjs-cpu']!;
  console.log(`batch ${BATCH}, ${STEPS} timed steps after warm-up (node ${process.version})`);
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
  console.log('Conv2DBackpropFilter alone (ms): wasm composed | cpu composed | cpu own');
  for (const name of Object.keys(w.bpf)) {
    console.log(
      `  ${name.padEnd(30)} ${w.bpf[name]!.toFixed(1).padStart(7)} | ${c.bpf[name]!.toFixed(1).padStart(7)} | ${nativeBpf[name]!.toFixed(1).padStart(8)}`,
    );
  }
}

void main();
