import { describe, expect, it } from 'vitest';
import { deepFreeze } from '@metacompress/core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeOnnx,
  encodeOnnx,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  loadOnnx,
  toFloat32,
  type Graph,
} from '@metacompress/ir';
import { loadOrtNode } from '@metacompress/backend-ort';
import { quantizeWeightsOnly } from './weight-only';
import { dequantizeWeight, quantizeWeight } from './weight-quantizers';
import { fixturePath, mlpGraph, onnxCheck, randomValues, thrownBy, webBackend } from './test-helpers';

const inDim = 20; // 300 weights: the 2- and 1-bit planes need padding, which the decoder slices off
const graph = deepFreeze(mlpGraph({ inDim, hidden: 15, classes: 4 }));
const x = { dims: [3, inDim], data: randomValues(3 * inDim, 9) };
const fc1 = toFloat32(graph.initializers.find((t) => t.name === 'fc1.weight')!);

describe('quantizeWeightsOnly (run in onnxruntime-web)', () => {
  for (const scheme of ['int8', 'uint8', 'int4', 'uint4', 'ternary', 'binary'] as const) {
    it(`${scheme}: the decoded weight equals the quantizer's reconstruction`, async () => {
      const web = await webBackend();
      const { graph: q, records } = quantizeWeightsOnly(graph, [{ weight: 'fc1.weight', scheme, axis: 0 }]);
      expect(records[0].bytesAfter).toBeLessThan(records[0].bytesBefore);
      const out = await web.run(q, { input: x }, { outputs: ['fc1.weight', 'logits'] });
      const expected = dequantizeWeight(
        quantizeWeight(fc1, [15, inDim], {
          scheme,
          axis: 0,
          method: scheme.endsWith('8') ? 'minmax' : 'mse',
        }),
      );
      const got = out['fc1.weight'].data as Float32Array;
      expect(got.length).toBe(expected.length);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 6);
      onnxCheck(q); // throws when onnx.checker rejects the model
    });
  }

  it('fp16: weights stored as float16 and cast back', async () => {
    const web = await webBackend();
    const { graph: q, records } = quantizeWeightsOnly(graph, [
      { weight: 'fc1.weight', scheme: 'fp16', axis: 0 },
    ]);
    expect(records[0].format).toBe('fp16');
    expect(records[0].bytesAfter).toBe(records[0].bytesBefore / 2);
    const got = (await web.run(q, { input: x }, { outputs: ['fc1.weight'] }))['fc1.weight']
      .data as Float32Array;
    for (let i = 0; i < got.length; i++)
      expect(got[i]).toBe(float16BitsToFloat32(float32ToFloat16Bits(fc1[i])));
    onnxCheck(q);
  });

  it('int4 with blocks decodes per block', async () => {
    const web = await webBackend();
    const { graph: q } = quantizeWeightsOnly(graph, [
      { weight: 'fc1.weight', scheme: 'int4', axis: 0, blockSize: 10 },
    ]);
    const got = (await web.run(q, { input: x }, { outputs: ['fc1.weight'] }))['fc1.weight']
      .data as Float32Array;
    const expected = dequantizeWeight(
      quantizeWeight(fc1, [15, inDim], { scheme: 'int4', blockSize: 10, method: 'mse' }),
    );
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 6);
    onnxCheck(q);
  });

  it('shrinks the weight bytes by the bit ratio (plus per-channel scales)', () => {
    const big = mlpGraph({ inDim: 256, hidden: 64 });
    const sizes = Object.fromEntries(
      (['int8', 'int4', 'ternary', 'binary'] as const).map((scheme) => [
        scheme,
        quantizeWeightsOnly(big, [{ weight: 'fc1.weight', scheme, axis: 0 }]).records[0],
      ]),
    );
    expect(sizes.int8.bytesBefore / sizes.int8.bytesAfter).toBeGreaterThan(3.5);
    expect(sizes.int4.bytesBefore / sizes.int4.bytesAfter).toBeGreaterThan(6.5);
    expect(sizes.ternary.bytesBefore / sizes.ternary.bytesAfter).toBeGreaterThan(12);
    expect(sizes.binary.bytesBefore / sizes.binary.bytesAfter).toBeGreaterThan(20);
    expect(
      encodeOnnx(quantizeWeightsOnly(big, [{ weight: 'fc1.weight', scheme: 'binary', axis: 0 }]).graph)
        .byteLength,
    ).toBeLessThan(encodeOnnx(big).byteLength / 10);
  });

  it('refuses packed formats below opset 11', () => {
    const old = mlpGraph({ opset: 9 });
    expect(
      thrownBy(() => quantizeWeightsOnly(old, [{ weight: 'fc1.weight', scheme: 'int4', axis: 0 }])).code,
    ).toBe('MC_UNSUPPORTED_OP');
    expect(
      quantizeWeightsOnly(old, [{ weight: 'fc1.weight', scheme: 'int8', axis: 0 }]).records[0].format,
    ).toBe('int8');
  });

  it('is pure and names bad input', () => {
    const before = JSON.stringify(graph.nodes);
    quantizeWeightsOnly(graph, [{ weight: 'fc2.weight', scheme: 'int8', axis: 0 }]);
    expect(JSON.stringify(graph.nodes)).toBe(before);
    expect(
      thrownBy(() => quantizeWeightsOnly(graph, [{ weight: 'nope', scheme: 'int8', axis: 0 }])).code,
    ).toBe('MC_INVALID_ARGUMENT');
    const nan: Graph = {
      ...graph,
      initializers: graph.initializers.map((t) =>
        t.name === 'fc2.weight'
          ? { ...t, raw: new Uint8Array(new Float32Array(t.raw!.byteLength / 4).fill(Number.NaN).buffer) }
          : t,
      ),
    };
    const e = thrownBy(() =>
      quantizeWeightsOnly(nan, [{ weight: 'fc2.weight', scheme: 'int8', axis: 0, node: graph.nodes[2] }]),
    );
    expect(e.code).toBe('MC_NAN_WEIGHTS');
    expect(e.details.node).toBe('fc2');
  });
});

describe('load-time folding', () => {
  it('onnxruntime optimizes a weight-only model to exactly the float graph (so it cannot be slower)', async () => {
    const ort = await loadOrtNode().catch(() => undefined);
    // onnxruntime-node is optional; its optimizer is the one onnxruntime-web runs (same transformers).
    if (!ort) return;
    const lenet = await loadOnnx(fixturePath('lenet5'));
    const entries = lenet.nodes
      .filter((n) => n.opType === 'Conv' || n.opType === 'Gemm')
      .map((n, i) => ({
        weight: n.inputs[1],
        scheme: (['int8', 'int4', 'ternary', 'binary', 'fp16'] as const)[i % 5],
        axis: 0,
      }));
    const { graph: small } = quantizeWeightsOnly(lenet, entries);
    const dir = mkdtempSync(join(tmpdir(), 'mc-quantize-opt-'));
    try {
      const optimized = async (g: Graph, name: string): Promise<Graph> => {
        const file = join(dir, name);
        await ort.InferenceSession.create(encodeOnnx(g), {
          graphOptimizationLevel: 'all',
          optimizedModelFilePath: file,
          logSeverityLevel: 3,
        });
        return decodeOnnx(new Uint8Array(readFileSync(file)));
      };
      const [a, b] = [await optimized(lenet, 'float.onnx'), await optimized(small, 'small.onnx')];
      expect(b.nodes.map((n) => `${n.domain}:${n.opType}`)).toEqual(
        a.nodes.map((n) => `${n.domain}:${n.opType}`),
      );
      expect(b.nodes.some((n) => ['Cast', 'BitShift', 'Mod', 'Mul'].includes(n.opType))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
