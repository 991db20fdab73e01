/**
 * Acceptance test of the ONNX codec against ONNX's own backend test data (Debian `libonnx-testdata`):
 * every model is loaded through the IR (`loadOnnx`), saved (`saveOnnx`), and the *saved bytes* are run
 * in onnxruntime-web on the recorded inputs; outputs must match the recorded outputs within the
 * tolerances of ONNX's backend test runner (numpy `assert_allclose` with rtol 1e-3, atol 1e-7, same
 * dtype and shape). Models that onnxruntime-web cannot run from their *original* bytes are left out
 * of the denominator, counted and listed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  DataType,
  decodeTensorProto,
  float16BitsToFloat32,
  loadOnnx,
  saveOnnx,
  toTypedArray,
  type Tensor,
} from '../src/index';

const ROOT = '/usr/share/libonnx-testdata/data';
const KINDS = ['node', 'simple', 'pytorch-converted', 'pytorch-operator'];
const RTOL = 1e-3;
const ATOL = 1e-7;
const REQUIRED_PASS_RATE = 0.98;

// onnxruntime-web's types are not needed here: the test uses a small structural slice of its API.
interface OrtTensor {
  type: string;
  dims: readonly number[];
  data: ArrayLike<number | bigint | string>;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  env: { wasm: { numThreads: number }; logLevel: string };
  InferenceSession: { create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
}

const ORT_TYPES: Record<number, string> = {
  [DataType.FLOAT]: 'float32',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
  [DataType.UINT16]: 'uint16',
  [DataType.INT16]: 'int16',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.STRING]: 'string',
  [DataType.BOOL]: 'bool',
  [DataType.FLOAT16]: 'float16',
  [DataType.DOUBLE]: 'float64',
  [DataType.UINT32]: 'uint32',
  [DataType.UINT64]: 'uint64',
};

interface DataSet {
  inputs: Tensor[];
  outputs: Tensor[];
}

const utf8 = new TextDecoder();
const scratch = mkdtempSync(join(tmpdir(), 'mc-onnx-conformance-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function numbered(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
    .map((f) => join(dir, f));
}

function readDataSets(dir: string): DataSet[] {
  return readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort()
    .map((d) => ({
      inputs: numbered(join(dir, d), 'input_').map((f) => decodeTensorProto(readFileSync(f), { file: f })),
      outputs: numbered(join(dir, d), 'output_').map((f) => decodeTensorProto(readFileSync(f), { file: f })),
    }));
}

function toOrt(ort: Ort, t: Tensor): OrtTensor {
  const type = ORT_TYPES[t.dataType];
  if (!type)
    throw new Error(`test data tensor '${t.name}' has a type onnxruntime-web cannot take (${t.dataType})`);
  const data =
    t.dataType === DataType.STRING ? (t.strings ?? []).map((s) => utf8.decode(s)) : toTypedArray(t);
  return new ort.Tensor(type, data, t.dims);
}

function numbersOf(data: ArrayLike<number | bigint | string>, type: string): number[] {
  const out = Array.from(data as ArrayLike<number | bigint>, Number);
  return type === 'float16' ? out.map(float16BitsToFloat32) : out;
}

/** numpy.testing.assert_allclose semantics (NaN equals NaN, infinities must match exactly). */
function compare(name: string, actual: OrtTensor, expected: Tensor): string | undefined {
  const type = ORT_TYPES[expected.dataType];
  if (actual.type !== type)
    return `output '${name}' has type ${actual.type}, expected ${type ?? expected.dataType}`;
  if (actual.dims.join(',') !== expected.dims.join(','))
    return `output '${name}' has dims [${actual.dims.join(', ')}], expected [${expected.dims.join(', ')}]`;
  if (expected.dataType === DataType.STRING) {
    const want = (expected.strings ?? []).map((s) => utf8.decode(s));
    const got = Array.from(actual.data as ArrayLike<string>);
    return got.every((s, i) => s === want[i]) ? undefined : `output '${name}' strings differ`;
  }
  const got = numbersOf(actual.data, actual.type);
  const want = numbersOf(toTypedArray(expected) as ArrayLike<number | bigint>, type);
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const e = want[i];
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (!(Math.abs(a - e) <= ATOL + RTOL * Math.abs(e)))
      return `output '${name}'[${i}] = ${a}, expected ${e}`;
  }
  return undefined;
}

function byNameOrPosition<T extends { name: string }>(
  names: readonly string[],
  tensors: readonly T[],
): [string, T][] {
  const named = tensors.every((t) => names.includes(t.name));
  return tensors.map((t, i) => [named ? t.name : names[i], t]);
}

/** Runs a model on every data set; returns undefined when all outputs match, else why not. */
async function runModel(ort: Ort, bytes: Uint8Array, dir: string): Promise<string | undefined> {
  let session: OrtSession | undefined;
  try {
    const sets = readDataSets(dir);
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
    for (const set of sets) {
      const feeds: Record<string, OrtTensor> = {};
      for (const [name, t] of byNameOrPosition(session.inputNames, set.inputs)) feeds[name] = toOrt(ort, t);
      const results = await session.run(feeds);
      for (const [name, t] of byNameOrPosition(session.outputNames, set.outputs)) {
        const actual = results[name];
        if (!actual) return `no output '${name}'`;
        const problem = compare(name, actual, t);
        if (problem) return problem;
      }
    }
    return undefined;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 200);
  } finally {
    await session?.release().catch(() => undefined);
  }
}

it('libonnx-testdata: models loaded and saved through the IR run in onnxruntime-web with the recorded outputs', async () => {
  const missing = KINDS.filter((k) => !existsSync(join(ROOT, k)));
  if (missing.length) {
    expect.fail(
      `libonnx-testdata missing: ${missing.map((k) => join(ROOT, k)).join(', ')} not found (install the Debian package libonnx-testdata)`,
    );
  }
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-web') as Ort;
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'fatal';

  const passed: string[] = [];
  const failed: string[] = [];
  const excluded: string[] = [];
  for (const kind of KINDS) {
    for (const test of readdirSync(join(ROOT, kind)).sort()) {
      const dir = join(ROOT, kind, test);
      const modelPath = join(dir, 'model.onnx');
      if (!existsSync(modelPath)) continue;
      const label = `${kind}/${test}`;
      let problem: string | undefined;
      try {
        const graph = await loadOnnx(modelPath);
        const out = join(scratch, `${kind}-${test}.onnx`);
        await saveOnnx(graph, out, { protect: [modelPath] });
        problem = await runModel(ort, readFileSync(out), dir);
        rmSync(out, { force: true });
      } catch (error) {
        problem = `codec: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (problem === undefined) {
        passed.push(label);
        continue;
      }
      // Only now run the original bytes: if onnxruntime-web cannot run them either, the model is
      // outside what this test can judge.
      const original = await runModel(ort, readFileSync(modelPath), dir);
      if (original === undefined) failed.push(`${label}: ${problem}`);
      else excluded.push(`${label}: ${original}`);
    }
  }
  const judged = passed.length + failed.length;
  const rate = judged === 0 ? 0 : passed.length / judged;
  console.log(
    [
      `ONNX conformance through the IR: ${passed.length}/${judged} passed (${(100 * rate).toFixed(2)} %), ` +
        `${excluded.length} excluded because onnxruntime-web cannot run their original bytes either.`,
      `Excluded (${excluded.length}):`,
      ...excluded.map((e) => `  ${e}`),
      `Failed (${failed.length}):`,
      ...failed.map((f) => `  ${f}`),
    ].join('\n'),
  );
  expect(judged).toBeGreaterThan(900);
  expect(rate).toBeGreaterThanOrEqual(REQUIRED_PASS_RATE);
}, 600_000);
