import { beforeAll, describe, expect, it } from 'vitest';
import {
  BackendRegistry,
  compress,
  type Dataset,
  type InferenceBackend,
  type Policy,
} from '@metacompress/core';
import { encodeOnnx, loadOnnx, type Graph } from '@metacompress/ir';
import { loadMnist, fitToInput } from '@metacompress/tasks';
import type { TensorDataset } from '@metacompress/tasks';
import { quantize } from './quantize-operator';
import type { GateReport, QuantizedLayerReport } from './quantize-operator';
import { fixturePath, onnxCheck, ortRegistry, rejectionOf, webBackend } from './test-helpers';

const policy = (groups: Policy['groups'] = []): Policy => ({
  budget: { metric: 'bytes', ratio: 1 },
  groups,
  source: 'test',
});

let lenet: Graph;
let test: TensorDataset;
let calibration: TensorDataset;

beforeAll(async () => {
  lenet = await loadOnnx(fixturePath('lenet5'));
  const train = await loadMnist({ split: 'train' });
  test = (await loadMnist({ split: 'test' })).subset(Array.from({ length: 500 }, (_, i) => i));
  calibration = train.subset(Array.from({ length: 256 }, (_, i) => i * 233));
});

interface Report {
  emitted: string;
  layers: QuantizedLayerReport[];
  gate: GateReport;
  bytes: { before: number; after: number; ratio: number };
  agreement?: number;
}

describe('quantize operator', () => {
  it('static int8 LeNet-5 through compress(): gated, smaller, as accurate, checker-valid', async () => {
    const registry = ortRegistry();
    const frozenInput = structuredClone(lenet);
    const result = await compress(
      lenet,
      [quantize.with({ calibrationSamples: 256, gateRuns: 6, layerRuns: 3 })],
      {
        policy: policy(),
        backends: registry,
        data: { calibration },
      },
    );
    const report = result.steps[0].report as unknown as Report;
    expect(report.gate.backend).toBe('ort-web');
    expect(report.gate.tried.length).toBeGreaterThanOrEqual(1);
    const accepted = report.gate.tried.find((t) => t.accepted);
    // Whatever was emitted passed the gate: int8 layouts must be faster, float-compute ones within noise.
    if (accepted?.comparison) expect(accepted.comparison.ratio).toBeLessThanOrEqual(1.03);
    expect(report.layers).toHaveLength(5);
    expect(report.layers.every((l) => l.bits === 8 && ['int8-qdq', 'int8'].includes(l.storage))).toBe(true);
    expect(report.bytes.ratio).toBeGreaterThan(3);
    expect(encodeOnnx(result.graph).byteLength).toBe(report.bytes.after);
    const web = await webBackend();
    const [f, q] = [await web.evaluate(lenet, test), await web.evaluate(result.graph, test)];
    expect(q.accuracy).toBeGreaterThanOrEqual(f.accuracy - 0.01);
    expect(lenet).toEqual(frozenInput); // the input graph is untouched
    onnxCheck(result.graph);
  });

  it('mixes precisions per coupling group from the policy', async () => {
    const result = await quantize.apply(
      lenet,
      policy([
        { group: '/conv1/Conv', keep: 1, weightBits: 16 },
        { group: '/fc1/Gemm', keep: 1, weightBits: 4 },
        { group: '/fc2/Gemm', keep: 1, weightBits: 2 },
        { group: '/fc3/Gemm', keep: 1, weightBits: 1 },
      ]),
      { ...ctxBase(), data: { calibration } },
      { mode: 'static', gate: false, calibrationSamples: 128 },
    );
    const layers = (result.report as unknown as Report).layers;
    const byNode = Object.fromEntries(layers.map((l) => [l.node, l]));
    expect(byNode['/conv1/Conv'].storage).toBe('fp16');
    expect(byNode['/conv2/Conv'].storage).toBe('int8-qdq');
    expect(byNode['/conv2/Conv'].source).toBe('default');
    expect(byNode['/fc1/Gemm'].storage).toBe('packed4');
    expect(byNode['/fc2/Gemm'].storage).toBe('packed2');
    expect(byNode['/fc3/Gemm'].storage).toBe('packed1');
    expect(byNode['/fc1/Gemm'].source).toBe('policy');
    const web = await webBackend();
    const acc = (await web.evaluate(result.graph, test)).accuracy;
    expect(acc).toBeGreaterThan(0.5); // binary and ternary classifier layers hurt, but the model still works
    onnxCheck(result.graph);
  });

  it('weight-only mode needs no data and keeps float compute', async () => {
    const result = await quantize.apply(lenet, policy(), ctxBase(), {
      mode: 'weight-only',
      bits: 4,
      gate: false,
    });
    const report = result.report as unknown as Report;
    expect(report.layers.every((l) => l.compute === 'float' && l.storage === 'packed4')).toBe(true);
    expect(result.graph.nodes.some((n) => n.opType === 'QuantizeLinear')).toBe(false);
    expect(report.bytes.ratio).toBeGreaterThan(5);
    const web = await webBackend();
    expect((await web.evaluate(result.graph, test)).accuracy).toBeGreaterThan(0.97);
  });

  it('auto mode without calibration data falls back to weight-only and says why', async () => {
    const result = await quantize.apply(lenet, policy(), ctxBase(), { gate: false });
    const layers = (result.report as unknown as Report).layers;
    expect(layers.every((l) => l.compute === 'float' && /no calibration data/.test(l.note ?? ''))).toBe(true);
  });

  it('dynamic mode quantizes the Gemms of LeNet-300 with MatMulInteger', async () => {
    const mlp = await loadOnnx(fixturePath('lenet300'));
    const result = await quantize.apply(mlp, policy(), ctxBase(), { mode: 'dynamic', gate: false });
    expect(result.graph.nodes.filter((n) => n.opType === 'MatMulInteger')).toHaveLength(3);
    const web = await webBackend();
    const flat = fitToInput(test, ['N', 784]);
    const [f, q] = [await web.evaluate(mlp, flat), await web.evaluate(result.graph, flat)];
    expect(q.accuracy).toBeGreaterThanOrEqual(f.accuracy - 0.01);
    onnxCheck(result.graph);
  });
});

describe('the deployment gate', () => {
  /** ort-web with a latency that calls every QDQ graph slow (and optionally refuses to load them). */
  async function scriptedRegistry(behaviour: 'slow' | 'refuse'): Promise<BackendRegistry> {
    const real = await webBackend();
    const isInt8 = (m: Graph): boolean =>
      m.nodes.some((n) => n.opType === 'QuantizeLinear' || n.opType === 'MatMulInteger');
    const fake: InferenceBackend<Graph> = {
      name: 'ort-web',
      run: (m, f, o) => real.run(m, f, o),
      evaluate: (m, d, o) => real.evaluate(m, d, o),
      async latency(model, options) {
        if (isInt8(model) && behaviour === 'refuse')
          throw new (await import('@metacompress/core')).MetacompressError(
            'MC_BACKEND_FAILED',
            'scripted: cannot load',
            { backend: 'ort-web' },
          );
        const base = isInt8(model) ? 20 : 10;
        return {
          batchSize: options.batchSize,
          runs: 1,
          medianMs: base,
          p10Ms: base,
          p90Ms: base,
          minMs: base,
          maxMs: base,
        };
      },
    };
    const registry = new BackendRegistry();
    registry.register({ name: 'ort-web', kind: 'inference', priority: 10, init: () => fake });
    return registry;
  }

  for (const behaviour of ['slow', 'refuse'] as const) {
    it(`falls back to weight-only when the int8 layout is ${behaviour === 'slow' ? 'slower' : 'refused by the runtime'}`, async () => {
      const registry = await scriptedRegistry(behaviour);
      const result = await quantize.apply(
        lenet,
        policy(),
        { ...ctxBase(registry), data: { calibration } },
        { mode: 'static', calibrationSamples: 64, gateRuns: 2 },
      );
      const report = result.report as unknown as Report;
      expect(report.emitted).toBe('weight-only');
      expect(report.gate.tried[0].accepted).toBe(false);
      if (behaviour === 'slow') expect(report.gate.tried[0].comparison?.ratio).toBe(2);
      else expect(report.gate.tried[0].error).toMatch(/cannot load/);
      expect(report.gate.tried.at(-1)?.accepted).toBe(true);
      expect(result.graph.nodes.some((n) => n.opType === 'QuantizeLinear')).toBe(false);
      expect(report.layers.every((l) => l.compute === 'float' && l.storage === 'int8')).toBe(true);
    });
  }

  it('per-layer timing keeps only layers whose int8 kernel is faster', async () => {
    const real = await webBackend();
    // int8 one-layer models of the Gemms are fast, of the Convs slow; whole models: int8 faster.
    const fake: InferenceBackend<Graph> = {
      name: 'ort-web',
      run: (m, f, o) => real.run(m, f, o),
      evaluate: (m, d, o) => real.evaluate(m, d, o),
      async latency(model, options) {
        const int8 = model.nodes.some((n) => n.opType === 'QuantizeLinear');
        const single = model.nodes.filter((n) => ['Conv', 'Gemm'].includes(n.opType));
        let ms = 10;
        if (single.length === 1 && int8) ms = single[0].opType === 'Conv' ? 30 : 5;
        else if (int8) ms = 8;
        return {
          batchSize: options.batchSize,
          runs: 1,
          medianMs: ms,
          p10Ms: ms,
          p90Ms: ms,
          minMs: ms,
          maxMs: ms,
        };
      },
    };
    const registry = new BackendRegistry();
    registry.register({ name: 'ort-web', kind: 'inference', priority: 10, init: () => fake });
    const result = await quantize.apply(
      lenet,
      policy(),
      { ...ctxBase(registry), data: { calibration } },
      { calibrationSamples: 64, gateRuns: 2, layerRuns: 2 },
    );
    const report = result.report as unknown as Report;
    expect(report.emitted).toBe('int8 (3 of 5 8-bit layers)');
    for (const l of report.layers) {
      expect(l.compute).toBe(l.opType === 'Gemm' ? 'int8' : 'float');
      expect(l.layerRatio).toBe(l.opType === 'Gemm' ? 0.5 : 3);
    }
    expect(report.layers.find((l) => l.opType === 'Conv')?.note).toMatch(/not faster/);
  });
});

describe('per-layer fallback', () => {
  it('drops the layers that gained least when the whole int8 model is slower', async () => {
    const real = await webBackend();
    const single: Record<string, number> = { '/conv1/Conv': 0.8, '/conv2/Conv': 0.6 };
    const fake: InferenceBackend<Graph> = {
      name: 'ort-web',
      run: (m, f, o) => real.run(m, f, o),
      evaluate: (m, d, o) => real.evaluate(m, d, o),
      async latency(model, options) {
        const int8 = model.nodes.some((n) => n.opType === 'QuantizeLinear');
        const weighted = model.nodes.filter((n) => ['Conv', 'Gemm'].includes(n.opType));
        let ms = 10;
        if (weighted.length === 1) ms = int8 ? 10 * (single[weighted[0].name] ?? 0.4) : 10;
        else if (int8) {
          // Whole models: slower while conv1 (reading the graph input) computes in int8.
          const conv1 = model.nodes.find((n) => n.name === '/conv1/Conv')!;
          ms = conv1.inputs[0] !== 'input' ? 12 : 8;
        }
        return {
          batchSize: options.batchSize,
          runs: 1,
          medianMs: ms,
          p10Ms: ms,
          p90Ms: ms,
          minMs: ms,
          maxMs: ms,
        };
      },
    };
    const registry = new BackendRegistry();
    registry.register({ name: 'ort-web', kind: 'inference', priority: 10, init: () => fake });
    const result = await quantize.apply(
      lenet,
      policy(),
      { ...ctxBase(registry), data: { calibration } },
      { calibrationSamples: 64, gateRuns: 2, layerRuns: 2 },
    );
    const report = result.report as unknown as Report;
    expect(report.gate.tried.map((t) => [t.candidate, t.accepted])).toEqual([
      ['int8 (5 of 5 8-bit layers)', false],
      ['int8 (4 of 5 8-bit layers)', true],
    ]);
    expect(report.layers.filter((l) => l.compute === 'int8').map((l) => l.node)).toEqual([
      '/conv2/Conv',
      '/fc1/Gemm',
      '/fc2/Gemm',
      '/fc3/Gemm',
    ]);
    const web = await webBackend();
    expect((await web.evaluate(result.graph, test)).accuracy).toBeGreaterThan(0.97);
  });
});

describe('bad input', () => {
  it('an empty calibration set: MC_EMPTY_DATASET', async () => {
    const empty = calibration.subset([]);
    const e = await rejectionOf(
      quantize.apply(
        lenet,
        policy(),
        { ...ctxBase(), data: { calibration: empty } },
        { mode: 'static', gate: false },
      ),
    );
    expect(e.code).toBe('MC_EMPTY_DATASET');
    expect(e.details.operator).toBe('quantize');
  });

  it('static mode without calibration data: MC_EMPTY_DATASET', async () => {
    expect(
      (await rejectionOf(quantize.apply(lenet, policy(), ctxBase(), { mode: 'static', gate: false }))).code,
    ).toBe('MC_EMPTY_DATASET');
  });

  it('NaN in weights: MC_NAN_WEIGHTS naming the node', async () => {
    const bad: Graph = {
      ...lenet,
      initializers: lenet.initializers.map((t) => {
        if (t.name !== 'fc2.weight') return t;
        const v = new Float32Array(t.raw!.slice().buffer);
        v[17] = Number.NaN;
        return { ...t, raw: new Uint8Array(v.buffer) };
      }),
    };
    const e = await rejectionOf(
      quantize.apply(bad, policy(), ctxBase(), { mode: 'weight-only', gate: false }),
    );
    expect(e.code).toBe('MC_NAN_WEIGHTS');
    expect(e.details.node).toBe('/fc2/Gemm');
    expect(e.details.field).toBe('fc2.weight');
  });

  it('an unsupported bit width: MC_UNSUPPORTED_BITS', async () => {
    expect(
      (await rejectionOf(quantize.apply(lenet, policy(), ctxBase(), { bits: 3, gate: false }))).code,
    ).toBe('MC_UNSUPPORTED_BITS');
    const viaPolicy = await rejectionOf(
      quantize.apply(
        lenet,
        { ...policy(), groups: [{ group: '/fc1/Gemm', keep: 1, weightBits: 5 as 4 }] },
        ctxBase(),
        { gate: false },
      ),
    );
    expect(viaPolicy.code).toBe('MC_UNSUPPORTED_BITS');
    expect(viaPolicy.details.group).toBe('/fc1/Gemm');
  });

  it('a policy group the graph does not have: MC_UNKNOWN_GROUP', async () => {
    const e = await rejectionOf(
      quantize.apply(lenet, policy([{ group: 'conv9', keep: 1, weightBits: 4 }]), ctxBase(), { gate: false }),
    );
    expect(e.code).toBe('MC_UNKNOWN_GROUP');
    expect(e.details.group).toBe('conv9');
  });

  it('a gate without its backend: MC_NO_BACKEND', async () => {
    const e = await rejectionOf(
      quantize.apply(lenet, policy(), ctxBase(new BackendRegistry()), { mode: 'weight-only' }),
    );
    expect(e.code).toBe('MC_NO_BACKEND');
    expect(e.message).toMatch(/gate: false/);
  });
});

function ctxBase(registry: BackendRegistry = ortRegistry()) {
  return {
    rng: { next: () => 0.5, fork: () => ({}) } as never,
    progress: { emit: () => {} },
    backends: registry,
    data: {} as { calibration?: Dataset },
  };
}
