import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMetacompressError, type MetacompressError } from '@metacompress/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataType,
  createTensor,
  decodeOnnx,
  encodeOnnx,
  encodeOnnxWithExternalData,
  loadOnnx,
  saveOnnx,
  toFloat32,
  type Graph,
} from '../src/index';
import { onnxTypes } from '../src/onnx/onnx-schema';
import { createReader } from '../src/onnx/reader';
import { addModel, encodeMessage, f32 } from '../src/onnx/test-models';

const scratch = mkdtempSync(join(tmpdir(), 'mc-onnx-external-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function folder(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const big = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));

/** y = x + w + b with a large `w` (4000 bytes) and a small `b`. */
function twoInitializers(): Graph {
  const g = decodeOnnx(
    encodeMessage(
      'ModelProto',
      addModel({ name: 'w', dataType: 1, dims: [1000], rawData: new Uint8Array(big.buffer) }),
    ),
  );
  return {
    ...g,
    nodes: [
      ...g.nodes,
      { name: 'add_b', opType: 'Add', domain: '', inputs: ['y0', 'b'], outputs: ['z'], attributes: {} },
    ].map((n, i) => (i === 0 ? { ...n, outputs: ['y0'] } : n)),
    inputs: [{ name: 'x', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [1000] } }],
    outputs: [{ name: 'z', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [1000] } }],
    initializers: [...g.initializers, createTensor('b', DataType.FLOAT, [1], [0.5])],
  };
}

function caught(run: () => unknown): MetacompressError {
  try {
    run();
  } catch (error) {
    if (isMetacompressError(error)) return error;
    throw new Error(`expected a MetacompressError, got ${String(error)}`);
  }
  throw new Error('expected an error, but nothing was thrown');
}

/** A model whose initializer `w` (2 floats) is stored externally with the given entries. */
function externalModel(entries: Record<string, string>, dims = [2]): Uint8Array {
  return encodeMessage(
    'ModelProto',
    addModel({
      name: 'w',
      dataType: 1,
      dims,
      dataLocation: 1,
      externalData: Object.entries(entries).map(([key, value]) => ({ key, value })),
    }),
  );
}

describe('saving with external data', () => {
  it('writes large initializers to one aligned data file and reads them back', async () => {
    const dir = folder('save');
    const path = join(dir, 'model.onnx');
    await saveOnnx(twoInitializers(), path, { externalData: { threshold: 1024 } });
    expect(existsSync(join(dir, 'model.onnx.data'))).toBe(true);
    expect(statSync(join(dir, 'model.onnx.data')).size).toBe(4000);

    const message = onnxTypes().ModelProto.decode(createReader(readFileSync(path))) as unknown as {
      graph: {
        initializer: {
          name: string;
          dataLocation?: number;
          externalData: { key: string; value: string }[];
          rawData?: Uint8Array;
        }[];
      };
    };
    const [w, b] = message.graph.initializer;
    expect(w.dataLocation).toBe(1);
    expect(w.externalData).toEqual([
      { key: 'location', value: 'model.onnx.data' },
      { key: 'offset', value: '0' },
      { key: 'length', value: '4000' },
    ]);
    expect(b.dataLocation ?? 0).toBe(0);
    expect(b.rawData).toHaveLength(4);

    const loaded = await loadOnnx(path);
    expect(Array.from(toFloat32(loaded.initializers[0]))).toEqual(Array.from(big));
    expect(loaded.initializers[0].external).toEqual({ location: 'model.onnx.data', offset: 0, length: 4000 });
    expect(loaded.initializers[1].external).toBeUndefined();

    // Saved elsewhere without options, tensors that were external stay external.
    const copy = join(folder('save-copy'), 'copy.onnx');
    await saveOnnx(loaded, copy, { protect: [path] });
    expect(statSync(`${copy}.data`).size).toBe(4000);
    expect(Array.from(toFloat32((await loadOnnx(copy)).initializers[0]))).toEqual(Array.from(big));

    // externalData: false embeds everything.
    const single = join(folder('save-single'), 'single.onnx');
    await saveOnnx(loaded, single, { externalData: false });
    expect(existsSync(`${single}.data`)).toBe(false);
    expect((await loadOnnx(single)).initializers[0].external).toBeUndefined();
  });

  it('aligns every tensor in the data file', () => {
    const g = twoInitializers();
    const three: Graph = {
      ...g,
      initializers: [
        ...g.initializers,
        createTensor('w2', DataType.FLOAT, [300], new Float32Array(300).fill(2)),
      ],
    };
    const { externalData, tensorCount } = encodeOnnxWithExternalData(three, {
      location: 'd.bin',
      threshold: 1000,
    });
    expect(tensorCount).toBe(2);
    expect(externalData.length).toBe(4096 + 1200);
    const second = new Float32Array(externalData.buffer.slice(4096, 4096 + 1200));
    expect(second.every((v) => v === 2)).toBe(true);
  });

  it('writes files that the ONNX checker and onnxruntime-web load with the same outputs', async () => {
    const dir = folder('runtime');
    const path = join(dir, 'model.onnx');
    const graph = twoInitializers();
    await saveOnnx(graph, path, { externalData: { threshold: 1024 } });
    const require = createRequire(import.meta.url);
    const ort = require('onnxruntime-web') as {
      env: { wasm: { numThreads: number } };
      Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
      InferenceSession: {
        create(
          bytes: Uint8Array,
          options: Record<string, unknown>,
        ): Promise<{
          run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>>;
          release(): Promise<void>;
        }>;
      };
    };
    ort.env.wasm.numThreads = 1;
    const x = Float32Array.from({ length: 1000 }, (_, i) => i / 10);
    const run = async (bytes: Uint8Array, externalData?: { path: string; data: Uint8Array }[]) => {
      const session = await ort.InferenceSession.create(bytes, externalData ? { externalData } : {});
      const out = await session.run({ x: new ort.Tensor('float32', x, [1000]) });
      await session.release();
      return Array.from(out.z.data);
    };
    const external = await run(readFileSync(path), [
      { path: 'model.onnx.data', data: readFileSync(join(dir, 'model.onnx.data')) },
    ]);
    expect(external).toEqual(await run(encodeOnnx(graph)));
    expect(external[3]).toBeCloseTo(0.3 + big[3] + 0.5, 5);

    try {
      execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    } catch {
      console.log(
        'note: /usr/bin/python3 with the onnx package is missing; the ONNX checker part of this test was not run',
      );
      return;
    }
    const script = [
      'import sys, onnx',
      'from onnx import numpy_helper',
      'onnx.checker.check_model(sys.argv[1])',
      'm = onnx.load(sys.argv[1])',
      'print(float(numpy_helper.to_array(m.graph.initializer[0]).sum()))',
    ].join('\n');
    const sum = Number(execFileSync('/usr/bin/python3', ['-c', script, path], { encoding: 'utf8' }).trim());
    expect(sum).toBeCloseTo(
      big.reduce((a, v) => a + v, 0),
      3,
    );
  });
});

describe('reading external data', () => {
  it('reads location/offset/length relative to the model folder', () => {
    const dir = folder('read');
    writeFileSync(join(dir, 'w.bin'), concatBytes(new Uint8Array(8), f32([3, 4])));
    const g = decodeOnnx(externalModel({ location: 'w.bin', offset: '8', length: '8' }), {
      baseDir: dir,
      file: 'm.onnx',
    });
    expect(Array.from(toFloat32(g.initializers[0]))).toEqual([3, 4]);
    // Without loadExternal the reference is kept and no bytes are read; such a graph cannot be encoded.
    const lazy = decodeOnnx(externalModel({ location: 'w.bin', offset: '8' }));
    expect(lazy.initializers[0]).toMatchObject({ external: { location: 'w.bin', offset: 8 } });
    expect(lazy.initializers[0].raw).toBeUndefined();
    expect(caught(() => encodeOnnx(lazy)).code).toBe('MC_EXTERNAL_DATA_MISSING');
  });

  it.each([
    ['an absolute path', '/etc/passwd'],
    ['a parent folder', '../w.bin'],
    ['a path that climbs out after descending', 'sub/../../w.bin'],
    ['a Windows drive path', 'C:\\data\\w.bin'],
    ['a UNC path', '\\\\server\\share\\w.bin'],
  ])('refuses %s with MC_EXTERNAL_DATA_PATH', (_name, location) => {
    const dir = folder('escape/model');
    writeFileSync(join(dir, '..', 'w.bin'), f32([1, 2]));
    const error = caught(() =>
      decodeOnnx(externalModel({ location }), { baseDir: dir, file: 'escape.onnx' }),
    );
    expect(error.code).toBe('MC_EXTERNAL_DATA_PATH');
    expect(error.details).toMatchObject({ file: 'escape.onnx' });
    expect(String(error.details.field)).toContain("initializer[0] 'w'.external_data.location");
  });

  it('refuses a symbolic link that resolves outside the model folder', () => {
    const outside = folder('outside');
    writeFileSync(join(outside, 'secret.bin'), f32([1, 2]));
    const dir = folder('linked');
    symlinkSync(join(outside, 'secret.bin'), join(dir, 'w.bin'));
    expect(caught(() => decodeOnnx(externalModel({ location: 'w.bin' }), { baseDir: dir })).code).toBe(
      'MC_EXTERNAL_DATA_PATH',
    );
    // A link that stays inside the folder is fine.
    writeFileSync(join(dir, 'real.bin'), f32([5, 6]));
    symlinkSync(join(dir, 'real.bin'), join(dir, 'inside.bin'));
    expect(
      Array.from(
        toFloat32(decodeOnnx(externalModel({ location: 'inside.bin' }), { baseDir: dir }).initializers[0]),
      ),
    ).toEqual([5, 6]);
  });

  it('reports missing and short files with MC_EXTERNAL_DATA_MISSING', () => {
    const dir = folder('short');
    writeFileSync(join(dir, 'short.bin'), f32([1]));
    expect(caught(() => decodeOnnx(externalModel({ location: 'nope.bin' }), { baseDir: dir })).code).toBe(
      'MC_EXTERNAL_DATA_MISSING',
    );
    expect(caught(() => decodeOnnx(externalModel({ location: 'short.bin' }), { baseDir: dir })).code).toBe(
      'MC_EXTERNAL_DATA_MISSING',
    );
    expect(
      caught(() =>
        decodeOnnx(externalModel({ location: 'short.bin', offset: '4096', length: '8' }), { baseDir: dir }),
      ).code,
    ).toBe('MC_EXTERNAL_DATA_MISSING');
  });

  it('rejects malformed offsets and lengths that disagree with dims', () => {
    const dir = folder('malformed');
    writeFileSync(join(dir, 'w.bin'), f32([1, 2, 3, 4]));
    expect(
      caught(() => decodeOnnx(externalModel({ location: 'w.bin', offset: 'abc' }), { baseDir: dir })).code,
    ).toBe('MC_MODEL_INVALID');
    expect(
      caught(() => decodeOnnx(externalModel({ location: 'w.bin', length: '16' }), { baseDir: dir })).code,
    ).toBe('MC_MODEL_INVALID');
    expect(caught(() => decodeOnnx(externalModel({ offset: '0' }), { baseDir: dir })).code).toBe(
      'MC_MODEL_INVALID',
    );
  });

  it('refuses unsafe locations when saving', () => {
    expect(caught(() => encodeOnnxWithExternalData(twoInitializers(), { location: '../x.data' })).code).toBe(
      'MC_EXTERNAL_DATA_PATH',
    );
    expect(
      caught(() => encodeOnnxWithExternalData(twoInitializers(), { location: '/tmp/x.data' })).code,
    ).toBe('MC_EXTERNAL_DATA_PATH');
  });
});

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
