import { beforeAll, describe, expect, it } from 'vitest';
import { deepFreeze } from '@metacompress/core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeOnnx,
  encodeOnnx,
  foldBatchNorm,
  foldConstants,
  loadOnnx,
  toFloat32,
  type Graph,
  type Tensor,
} from '@metacompress/ir';
import { loadOrtNode } from '@metacompress/backend-ort';
import { loadMnist } from '@metacompress/tasks';
import { calibrate } from './calibrate';
import { computeQuantParams, quantRange } from './qparams';
import { buildStaticQdq, fitBounds, planActivations, staticWeightAxis } from './static-qdq';
import { argmaxRows, fixturePath, onnxCheck, webBackend } from './test-helpers';
import { quantizeWeight } from './weight-quantizers';

let lenet: Graph;
let constants: Map<string, Tensor>;

beforeAll(async () => {
  lenet = deepFreeze(foldConstants(await loadOnnx(fixturePath('lenet5'))));
  constants = new Map(lenet.initializers.map((t) => [t.name, t] as const));
});

describe('planActivations', () => {
  it('quantizes after each Relu (folded), shares through MaxPool/Flatten and leaves the graph output float', () => {
    const all = new Set(lenet.nodes.filter((n) => staticWeightAxis(n, constants) !== undefined));
    expect(all.size).toBe(5);
    const plan = planActivations(lenet, all, constants);
    expect(plan.tensors).toContain('input');
    expect(plan.tensors).toContain('/Relu_output_0');
    expect(plan.tensors).not.toContain('/conv1/Conv_output_0'); // the Relu after it is folded into the range
    expect(plan.bounds.get('/Relu_output_0')).toEqual({ min: 0, max: Infinity });
    expect(plan.sharedWith.get('/MaxPool_output_0')).toBe('/Relu_output_0');
    expect(plan.sharedWith.get('/Flatten_output_0')).toBe('/Relu_1_output_0');
    expect(plan.tensors).not.toContain('logits');
    expect(plan.observe.every((t) => !plan.sharedWith.has(t))).toBe(true);
  });

  it('quantizes only around the chosen nodes', () => {
    const fc2 = lenet.nodes.find((n) => n.name === '/fc2/Gemm')!;
    const plan = planActivations(lenet, new Set([fc2]), constants);
    expect(plan.tensors).toEqual(['/Relu_2_output_0', '/Relu_3_output_0']);
  });

  it('folds ReLU6 (Clip 0..6 with constant bounds) into the range bounds', async () => {
    const mobile = foldConstants(await loadOnnx(fixturePath('mobilenetv2')));
    const c = new Map(mobile.initializers.map((t) => [t.name, t] as const));
    const plan = planActivations(
      mobile,
      new Set(mobile.nodes.filter((n) => staticWeightAxis(n, c) !== undefined)),
      c,
    );
    const clipBounds = [...plan.bounds.values()].filter((b) => b.max === 6);
    expect(clipBounds.length).toBeGreaterThan(10);
    // The residual Adds compute in int8 too (QLinearAdd), so their outputs get their own range.
    const adds = mobile.nodes.filter((n) => n.opType === 'Add').map((n) => n.outputs[0]);
    expect(adds.every((a) => plan.observe.includes(a))).toBe(true);
  });
});

describe('fitBounds', () => {
  it('keeps the representable range inside the clip bounds so a Clip can be dropped', () => {
    const p = computeQuantParams(0, 6, { dataType: 'uint8' });
    const fitted = fitBounds(p, { min: 0, max: 6 });
    const [, qmax] = quantRange('uint8');
    expect(Math.fround(fitted.scale[0] * (qmax - fitted.zeroPoint[0]))).toBeLessThanOrEqual(6);
    expect(fitted.scale[0]).toBeCloseTo(6 / 255, 6);
    expect(fitBounds(p, { min: 0, max: Infinity })).toBe(p);
  });
});

describe('buildStaticQdq', () => {
  it('gives a QDQ LeNet-5 that loads in onnxruntime-web and agrees with the float model', async () => {
    const web = await webBackend();
    const mnist = await loadMnist({ split: 'test' });
    const staticNodes = new Set(lenet.nodes.filter((n) => staticWeightAxis(n, constants) !== undefined));
    const plan = planActivations(lenet, staticNodes, constants);
    const observers = await calibrate(lenet, web, mnist, plan.observe, { limit: 128 });
    const activations = new Map(
      plan.tensors.map((t) => {
        const p = observers.get(plan.sharedWith.get(t) ?? t)!.params({ dataType: 'uint8' });
        const b = plan.bounds.get(t);
        return [t, b ? fitBounds(p, b) : p] as const;
      }),
    );
    const weights = new Map(
      [...staticNodes].map((n) => {
        const w = constants.get(n.inputs[1])!;
        return [
          n,
          quantizeWeight(toFloat32(w), w.dims, { scheme: 'int8', axis: staticWeightAxis(n, constants)! }),
        ] as const;
      }),
    );
    const q = buildStaticQdq(lenet, { weights, plan, activations, constants });
    expect(q.nodes.filter((n) => n.opType === 'QuantizeLinear').length).toBe(plan.tensors.length);
    // Float weights are gone; int8 weights and int32 biases replace them.
    expect(q.initializers.some((t) => t.name === 'conv1.weight')).toBe(false);
    expect(q.initializers.filter((t) => t.dataType === 3 && t.name.endsWith('weight_q')).length).toBe(5);
    expect(q.initializers.filter((t) => t.dataType === 6).length).toBe(5);
    const batch = [...mnist.batches(200, { limit: 200 })][0];
    const [f, i8] = [
      await web.run(lenet, { input: batch.inputs }),
      await web.run(q, { input: batch.inputs }),
    ];
    const a = argmaxRows(f.logits.data as Float32Array, 200);
    const b = argmaxRows(i8.logits.data as Float32Array, 200);
    expect(a.filter((v, k) => v === b[k]).length).toBeGreaterThanOrEqual(197);
    onnxCheck(q);

    // onnxruntime fuses the whole layout into integer kernels (its optimizer is the one
    // onnxruntime-web runs; onnxruntime-node is optional and can write the optimized graph).
    const ort = await loadOrtNode().catch(() => undefined);
    if (!ort) return;
    const dir = mkdtempSync(join(tmpdir(), 'mc-quantize-fuse-'));
    try {
      const file = join(dir, 'optimized.onnx');
      await ort.InferenceSession.create(encodeOnnx(q), {
        graphOptimizationLevel: 'all',
        optimizedModelFilePath: file,
        logSeverityLevel: 3,
      });
      const ops = decodeOnnx(new Uint8Array(readFileSync(file))).nodes.map((n) => n.opType);
      expect(ops.filter((o) => o === 'QLinearConv')).toHaveLength(2);
      expect(ops.filter((o) => o === 'QGemm')).toHaveLength(3);
      expect(ops).not.toContain('DequantizeLinear');
      expect(ops).not.toContain('Relu'); // folded into the quantized ranges
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses parameters it does not have', () => {
    const fc3 = lenet.nodes.find((n) => n.name === '/fc3/Gemm')!;
    const plan = planActivations(lenet, new Set([fc3]), constants);
    expect(() =>
      buildStaticQdq(lenet, { weights: new Map(), plan, activations: new Map(), constants }),
    ).toThrow(/no per-tensor quantization parameters/);
  });

  it('handles a BatchNormalization model once BN is folded', async () => {
    const vggBn = foldBatchNorm(foldConstants(await loadOnnx(fixturePath('vgg_bn-bn'))));
    expect(vggBn.nodes.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    const c = new Map(vggBn.initializers.map((t) => [t.name, t] as const));
    expect(vggBn.nodes.filter((n) => staticWeightAxis(n, c) !== undefined).length).toBe(7);
  });
});
