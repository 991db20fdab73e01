/**
 * Acceptance: uniform channel pruning of the PyTorch-exported fixtures to 50 % and 25 % of the
 * MACs gives ONNX files that load and run in onnxruntime-web, whose MACs match the budget within
 * 2 % — counted by the IR cost model and, independently, from the written file's initializers
 * (read with bare protobufjs) and the layer output shapes onnxruntime reports — and whose size
 * shrinks with the parameters.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrtWebBackend, type OrtBackend } from '@metacompress/backend-ort';
import { compress } from '@metacompress/core';
import { costOf, decodeOnnx, loadOnnx, onnxTypes, saveOnnx } from '@metacompress/ir';
import { channelPrune, uniformPolicy } from '../src/index';

const FIXTURES = resolve(import.meta.dirname, '../../../fixtures/models');
const ROUND_TO = 8;

interface TensorMsg {
  name: string;
  dataType: number;
  dims: (number | { toNumber(): number })[];
}
interface NodeMsg {
  opType: string;
  input: string[];
  output: string[];
  attribute: { name: string; i?: number | { toNumber(): number } }[];
}

const num = (v: number | { toNumber(): number }): number => (typeof v === 'number' ? v : v.toNumber());

/** Params and MACs counted from the file alone (protobufjs) plus onnxruntime's output shapes. */
async function independentCount(
  bytes: Uint8Array,
  ort: OrtBackend,
): Promise<{ params: number; macs: number }> {
  const model = onnxTypes().ModelProto.decode(bytes) as unknown as {
    graph: { initializer: TensorMsg[]; node: NodeMsg[]; input: { name: string }[] };
  };
  const dims = new Map(model.graph.initializer.map((t) => [t.name, t.dims.map(num)]));
  const params = model.graph.initializer
    .filter((t) => t.dataType === 1)
    .reduce((a, t) => a + t.dims.map(num).reduce((x, y) => x * y, 1), 0);
  const macNodes = model.graph.node.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm');
  const input = model.graph.input.find((i) => !dims.has(i.name))!.name;
  const spec = (await ort.inputs(bytes)).find((s) => s.name === input)!;
  const inputDims = spec.shape!.map((d) => (typeof d === 'number' ? d : 1));
  const feeds = {
    [input]: { dims: inputDims, data: new Float32Array(inputDims.reduce((a, b) => a * b, 1)).fill(0.5) },
  };
  const outs = await ort.run(bytes, feeds, { outputs: macNodes.map((n) => n.output[0]) });
  let macs = 0;
  for (const n of macNodes) {
    const out = outs[n.output[0]].dims.reduce((a, b) => a * b, 1);
    const w = dims.get(n.input[1])!;
    if (n.opType === 'Conv') macs += out * w.slice(1).reduce((a, b) => a * b, 1);
    else {
      const transB = num(n.attribute.find((a) => a.name === 'transB')?.i ?? 0);
      macs += out * w[transB ? 1 : 0];
    }
  }
  return { params, macs };
}

describe('uniform channel pruning of the fixtures (acceptance)', () => {
  let ort: OrtBackend;
  let dir: string;
  const written: string[] = [];
  beforeAll(async () => {
    ort = await createOrtWebBackend();
    dir = mkdtempSync(join(tmpdir(), 'mc-prune-'));
  });
  afterAll(async () => {
    await ort.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases = ['resnet', 'vgg_bn', 'mobilenetv2', 'lenet300', 'resnet-bn'].flatMap((m) =>
    [0.5, 0.25].map((r) => [m, r] as const),
  );
  it.each(cases)('%s at %s of the MACs', async (name, ratio) => {
    const file = resolve(FIXTURES, `${name}.onnx`);
    const graph = await loadOnnx(file);
    const base = costOf(graph);
    const policy = uniformPolicy(graph, { metric: 'macs', ratio }, { roundTo: ROUND_TO });
    const { graph: small } = await compress(
      graph,
      [channelPrune.with({ criterion: 'l1', roundTo: ROUND_TO })],
      { policy },
    );
    const out = join(dir, `${name}-${ratio}.onnx`);
    await saveOnnx(small, out);
    written.push(out);
    const bytes = new Uint8Array(readFileSync(out));

    // the IR cost model, on the file as written
    const ir = costOf(decodeOnnx(bytes));
    expect(Math.abs(ir.macs / base.macs - ratio)).toBeLessThanOrEqual(0.02 * ratio);
    // an independent count: initializers from protobufjs, output shapes from onnxruntime-web
    const counted = await independentCount(bytes, ort);
    expect(counted.params).toBe(ir.params);
    expect(counted.macs).toBe(ir.macs);
    // it runs, with the right output shape
    const logits = (
      await ort.run(bytes, {
        input: {
          dims: name === 'lenet300' ? [2, 784] : [2, 1, 28, 28],
          data: new Float32Array(1568).fill(0.1),
        },
      })
    ).logits;
    expect(logits.dims).toEqual([2, 10]);
    // the file shrinks with the parameters: 4 bytes per float32 removed, graph structure aside
    const saved = readFileSync(file).length - bytes.length;
    const removedParams = base.params - ir.params;
    expect(Math.abs(saved - 4 * removedParams)).toBeLessThanOrEqual(0.02 * 4 * removedParams);
    console.log(
      `${name} @ ${ratio} MACs: MACs ${(ir.macs / base.macs).toFixed(4)}, params ${(ir.params / base.params).toFixed(4)}, file ${bytes.length} / ${readFileSync(file).length} B (${(bytes.length / readFileSync(file).length).toFixed(4)})`,
    );
  });

  it('every written file passes onnx.checker (Python onnx, when this machine has it)', () => {
    const python = ['/usr/bin/python3', 'python3'].find(
      (p) => spawnSync(p, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0,
    );
    if (!python) {
      console.log('no python3 with onnx here; the checker was not run');
      return;
    }
    expect(written.length).toBe(cases.length);
    const run = spawnSync(
      python,
      [
        '-c',
        'import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("ok", len(sys.argv) - 1)',
        ...written,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(`ok ${written.length}`);
  });
});
