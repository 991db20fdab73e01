/**
 * Folding must not change what a model computes: for the shape-manipulating models of the ONNX
 * backend test data (Debian's libonnx-testdata), integer and tiny inputs are made initializers (so
 * there is something to fold), the graph is folded, and onnxruntime-web must give the same outputs
 * before and after.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import type { Graph } from '../graph';
import { decodeOnnx, decodeTensorProto } from '../onnx/decode';
import { encodeOnnx } from '../onnx/encode';
import { toTypedArray, type Tensor } from '../tensor';
import { foldConstants } from './fold-constants';

const ROOT = '/usr/share/libonnx-testdata/data';
const PICK =
  /reshape|slice|shape|gather|concat|unsqueeze|expand|range|split|flatten|size|tile|operator_(view|flatten|chunk|index|repeat|concat|non_float)/i;
const ORT_TYPES: Record<number, string> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.BOOL]: 'bool',
};

/** A test-data file as a tensor, or undefined for sequences and other messages. */
function readTensor(file: string): Tensor | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return decodeTensorProto(readFileSync(file));
  } catch {
    return undefined;
  }
}

type Ort = typeof import('onnxruntime-web');

async function run(
  ort: Ort,
  graph: Graph,
  feeds: Record<string, Tensor>,
): Promise<Record<string, { dims: readonly number[]; data: number[] }>> {
  const session = await ort.InferenceSession.create(encodeOnnx(graph));
  try {
    const inputs: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const [name, t] of Object.entries(feeds))
      inputs[name] = new ort.Tensor(ORT_TYPES[t.dataType] as 'float32', toTypedArray(t) as Float32Array, [
        ...t.dims,
      ]);
    const out = await session.run(inputs);
    return Object.fromEntries(
      Object.entries(out).map(([k, v]) => [
        k,
        { dims: v.dims, data: Array.from(v.data as ArrayLike<number | bigint>, Number) },
      ]),
    );
  } finally {
    await session.release();
  }
}

describe('foldConstants on the ONNX backend test data', () => {
  it('changes no output of any shape-manipulating test model (onnxruntime-web before vs after)', async () => {
    expect(existsSync(ROOT), `${ROOT} (Debian package libonnx-testdata) is required`).toBe(true);
    const mod = await import('onnxruntime-web');
    const ort = ((mod as unknown as { default?: Ort }).default ?? mod) as Ort;
    ort.env.wasm.numThreads = 1;
    const problems: string[] = [];
    let folded = 0;
    for (const group of ['node', 'pytorch-operator', 'pytorch-converted', 'simple']) {
      for (const dir of readdirSync(join(ROOT, group))) {
        const base = join(ROOT, group, dir);
        const data = join(base, 'test_data_set_0');
        if (
          !PICK.test(dir) ||
          /BFLOAT16|FLOAT8|STRING|FLOAT16/i.test(dir) ||
          !existsSync(join(base, 'model.onnx')) ||
          !existsSync(data)
        )
          continue;
        let graph = decodeOnnx(readFileSync(join(base, 'model.onnx')));
        const initNames = new Set(graph.initializers.map((t) => t.name));
        const feeds: Record<string, Tensor> = {};
        const constants: Tensor[] = [];
        let usable = true;
        graph.inputs
          .filter((i) => !initNames.has(i.name))
          .forEach((input, i) => {
            const file = join(data, `input_${i}.pb`);
            const t = readTensor(file);
            if (!t || !ORT_TYPES[t.dataType]) usable = false;
            else if (
              t.dataType === DataType.INT64 ||
              t.dataType === DataType.INT32 ||
              t.dims.reduce((a, b) => a * b, 1) <= 16
            )
              constants.push({ ...t, name: input.name });
            else feeds[input.name] = t;
          });
        if (!usable) continue;
        const names = new Set(constants.map((t) => t.name));
        graph = {
          ...graph,
          inputs: graph.inputs.filter((i) => !names.has(i.name)),
          initializers: [...graph.initializers, ...constants],
        };
        const after = foldConstants(graph);
        if (
          after.nodes.length === graph.nodes.length &&
          after.initializers.length === graph.initializers.length
        )
          continue;
        folded++;
        let expected;
        try {
          expected = await run(ort, graph, feeds);
        } catch {
          continue; // onnxruntime-web cannot run the original either (unsupported op or type)
        }
        const got = await run(ort, after, feeds).catch((e: Error) => e);
        if (got instanceof Error) {
          problems.push(`${group}/${dir}: folded graph fails: ${got.message.slice(0, 200)}`);
          continue;
        }
        for (const [name, want] of Object.entries(expected)) {
          const have = got[name];
          const same =
            have &&
            have.dims.join() === want.dims.join() &&
            want.data.every(
              (x, k) =>
                Object.is(x, have.data[k]) ||
                x === have.data[k] ||
                Math.abs(x - have.data[k]) <= 1e-6 * Math.max(1, Math.abs(x)),
            );
          if (!same)
            problems.push(
              `${group}/${dir} ${name}: [${have?.data.slice(0, 5)}] ≠ [${want.data.slice(0, 5)}]`,
            );
        }
      }
    }
    expect(problems).toEqual([]);
    expect(folded).toBeGreaterThan(80);
  });
});
