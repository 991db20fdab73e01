import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, isMetacompressError, type MetacompressError } from '@metacompress/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataType,
  createTensor,
  decodeOnnx,
  decodeTensorProto,
  encodeOnnx,
  loadOnnx,
  type Graph,
} from '../src/index';
import { addModel, encodeMessage, f32, richModel } from '../src/onnx/test-models';

const scratch = mkdtempSync(join(tmpdir(), 'mc-onnx-errors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The MetacompressError that `run` throws (fails the test when it throws anything else or nothing). */
function caught(run: () => unknown): MetacompressError {
  try {
    run();
  } catch (error) {
    if (isMetacompressError(error)) return error;
    throw new Error(`expected a MetacompressError, got ${String(error)}`);
  }
  throw new Error('expected an error, but nothing was thrown');
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A length-delimited field `id` holding `body`. */
function field(id: number, body: Uint8Array): Uint8Array {
  return Uint8Array.from([...varint((id << 3) | 2), ...varint(body.length), ...body]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => Array.from(p)));
}

const header = () =>
  encodeMessage('ModelProto', { irVersion: 8, opsetImport: [{ domain: '', version: 13 }] });
const model = (graph: Uint8Array) => concat(header(), field(7, graph));

describe('truncated and corrupt files', () => {
  const full = encodeMessage(
    'ModelProto',
    addModel({ name: 'w', dataType: 1, dims: [64], rawData: f32(Array.from({ length: 64 }, (_, i) => i)) }),
  );

  it('reports MC_ONNX_TRUNCATED, naming the file, wherever the graph is cut', () => {
    const graphStart = encodeMessage('ModelProto', { irVersion: 8 }).length;
    const graphEnd =
      full.length - encodeMessage('ModelProto', { opsetImport: [{ domain: '', version: 13 }] }).length;
    for (let cut = graphStart + 1; cut < graphEnd; cut++) {
      const error = caught(() => decodeOnnx(full.subarray(0, cut), { file: 'cut.onnx' }));
      expect(error.code, `cut at ${cut}`).toBe('MC_ONNX_TRUNCATED');
      expect(error.details.file).toBe('cut.onnx');
      expect(error.message).toContain("file 'cut.onnx'");
    }
  });

  it('never throws anything but typed errors for any prefix of a rich model', () => {
    const rich = encodeMessage('ModelProto', richModel());
    let failures = 0;
    for (let cut = 0; cut < rich.length; cut++) {
      try {
        decodeOnnx(rich.subarray(0, cut));
      } catch (error) {
        expect(isMetacompressError(error), `cut at ${cut}: ${String(error)}`).toBe(true);
        failures++;
      }
    }
    // Only cuts between trailing top-level fields (after the graph and opsets) decode at all.
    expect(failures).toBeGreaterThan(rich.length * 0.9);
  });

  it('reports an empty file as truncated', () => {
    expect(caught(() => decodeOnnx(new Uint8Array(0), { file: 'empty.onnx' })).code).toBe(
      'MC_ONNX_TRUNCATED',
    );
  });

  it('reports random bytes as MC_ONNX_DECODE, quickly and without large allocations', () => {
    const rng = createRng(7);
    const codes: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 200; i++) {
      const data = Uint8Array.from({ length: 1 + rng.int(4096) }, () => rng.int(256));
      codes.push(caught(() => decodeOnnx(data, { file: 'random.bin' })).code);
    }
    const big = Uint8Array.from({ length: 1 << 20 }, () => rng.int(256));
    codes.push(caught(() => decodeOnnx(big)).code);
    expect(performance.now() - started).toBeLessThan(10_000);
    // A random first byte is occasionally a valid tag whose length runs past the end: truncated.
    expect(codes.every((c) => c === 'MC_ONNX_DECODE' || c === 'MC_ONNX_TRUNCATED')).toBe(true);
    expect(codes.filter((c) => c === 'MC_ONNX_DECODE').length).toBeGreaterThan(codes.length * 0.9);
    expect(caught(() => decodeOnnx(new Uint8Array(64).fill(0xff))).code).toBe('MC_ONNX_DECODE');
  });

  it('names the field that has the wrong wire type', () => {
    const nodeBytes = concat(
      encodeMessage('NodeProto', { name: 'n0', input: ['x'], output: ['y'] }),
      Uint8Array.from([4 << 3, 5]),
    );
    const error = caught(() => decodeOnnx(model(field(1, nodeBytes)), { file: 'wire.onnx' }));
    expect(error.code).toBe('MC_ONNX_DECODE');
    expect(error.details).toMatchObject({ file: 'wire.onnx', node: 'n0', field: 'graph.node[0].opType' });
    expect(error.message).toContain('NodeProto.opType');

    const tensorBytes = concat(
      encodeMessage('TensorProto', { name: 'w', dataType: 1, dims: [1] }),
      Uint8Array.from([9 << 3, 1]),
    );
    const tensorError = caught(() => decodeOnnx(model(field(5, tensorBytes))));
    expect(tensorError.code).toBe('MC_ONNX_DECODE');
    expect(tensorError.details.field).toBe("graph.initializer[0] 'w'.rawData");
  });

  it('refuses graphs nested deeper than the protobuf recursion limit', () => {
    let graph = encodeMessage('GraphProto', { name: 'leaf' });
    for (let depth = 0; depth < 150; depth++) {
      const attribute = concat(
        encodeMessage('AttributeProto', { name: 'then_branch', type: 5 }),
        field(6, graph),
      );
      const node = concat(
        encodeMessage('NodeProto', { opType: 'If', input: ['c'], output: ['y'] }),
        field(5, attribute),
      );
      graph = field(1, node);
    }
    expect(caught(() => decodeOnnx(model(graph))).code).toBe('MC_ONNX_DECODE');
  });

  it('reports bytes that decode to no graph as not an ONNX model', () => {
    const error = caught(() =>
      decodeOnnx(encodeMessage('ModelProto', { irVersion: 8, producerName: 'x' }), { file: 'nograph.onnx' }),
    );
    expect(error.code).toBe('MC_ONNX_DECODE');
    expect(error.details.field).toBe('graph');
  });

  it('rejects input that is not a Uint8Array', () => {
    expect(caught(() => decodeOnnx('model' as unknown as Uint8Array)).code).toBe('MC_INVALID_ARGUMENT');
  });
});

describe('invalid tensors and nodes', () => {
  const decodeWith = (w: Record<string, unknown>) => () =>
    decodeOnnx(encodeMessage('ModelProto', addModel(w)), { file: 'bad.onnx' });

  it('rejects a dims product over 2^31 before allocating anything', () => {
    const error = caught(decodeWith({ name: 'w', dataType: 1, dims: [65536, 65536], rawData: f32([1]) }));
    expect(error.code).toBe('MC_TENSOR_TOO_LARGE');
    expect(error.details).toMatchObject({ file: 'bad.onnx', field: "graph.initializer[0] 'w'.dims" });
    // Typed fields too: the element count is checked before float_data is converted.
    expect(
      caught(decodeWith({ name: 'w', dataType: 1, dims: [2 ** 20, 2 ** 12], floatData: [1, 2] })).code,
    ).toBe('MC_TENSOR_TOO_LARGE');
    // And before external data is looked for.
    const external = {
      name: 'w',
      dataType: 1,
      dims: [2 ** 16, 2 ** 16],
      dataLocation: 1,
      externalData: [{ key: 'location', value: 'missing.bin' }],
    };
    expect(
      caught(() => decodeOnnx(encodeMessage('ModelProto', addModel(external)), { baseDir: scratch })).code,
    ).toBe('MC_TENSOR_TOO_LARGE');
  });

  it('rejects raw_data whose length disagrees with dims', () => {
    const error = caught(decodeWith({ name: 'w', dataType: 1, dims: [3], rawData: f32([1, 2]) }));
    expect(error.code).toBe('MC_MODEL_INVALID');
    expect(error.details.field).toBe("graph.initializer[0] 'w'.raw_data");
    expect(error.reason).toContain('8 bytes');
  });

  it('rejects typed data whose count disagrees with dims, and tensors with no data', () => {
    expect(caught(decodeWith({ name: 'w', dataType: 1, dims: [3], floatData: [1, 2] })).details.field).toBe(
      "graph.initializer[0] 'w'.float_data",
    );
    expect(caught(decodeWith({ name: 'w', dataType: 7, dims: [1], int64Data: [1, 2] })).code).toBe(
      'MC_MODEL_INVALID',
    );
    expect(caught(decodeWith({ name: 'w', dataType: 1, dims: [2] })).code).toBe('MC_MODEL_INVALID');
  });

  it('rejects negative dims', () => {
    const error = caught(decodeWith({ name: 'w', dataType: 1, dims: [-1, 2], rawData: f32([1, 2]) }));
    expect(error.code).toBe('MC_MODEL_INVALID');
    expect(error.details.field).toBe("graph.initializer[0] 'w'.dims");
  });

  it('rejects nodes without op_type and duplicated attributes, naming the node', () => {
    const noOp = caught(() =>
      decodeOnnx(model(encodeMessage('GraphProto', { node: [{ input: ['x'], output: ['y'] }] }))),
    );
    expect(noOp.code).toBe('MC_MODEL_INVALID');
    expect(noOp.details.field).toBe('graph.node[0].op_type');
    const twice = caught(() =>
      decodeOnnx(
        model(
          encodeMessage('GraphProto', {
            node: [
              {
                name: 'relu',
                opType: 'LeakyRelu',
                input: ['x'],
                output: ['y'],
                attribute: [
                  { name: 'alpha', type: 1, f: 1 },
                  { name: 'alpha', type: 1, f: 2 },
                ],
              },
            ],
          }),
        ),
      ),
    );
    expect(twice.code).toBe('MC_MODEL_INVALID');
    expect(twice.details).toMatchObject({ node: 'relu', opType: 'LeakyRelu' });
  });

  it('rejects segmented tensors, which the IR cannot represent', () => {
    const error = caught(
      decodeWith({ name: 'w', dataType: 1, dims: [2], rawData: f32([1, 2]), segment: { begin: 0, end: 2 } }),
    );
    expect(error.code).toBe('MC_MODEL_INVALID');
    expect(error.details.field).toBe("graph.initializer[0] 'w'.segment");
  });

  it('keeps an attribute named __proto__ as an attribute', () => {
    const g = decodeOnnx(
      model(
        encodeMessage('GraphProto', {
          node: [{ opType: 'Custom', attribute: [{ name: '__proto__', type: 2, i: 3 }] }],
        }),
      ),
    );
    const attributes = g.nodes[0].attributes;
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(Object.keys(attributes)).toEqual(['__proto__']);
    expect(decodeOnnx(encodeOnnx(g)).nodes[0].attributes).toEqual(attributes);
  });

  it('needs a folder to read external data from', () => {
    expect(
      caught(() =>
        decodeOnnx(
          encodeMessage('ModelProto', addModel({ name: 'w', dataType: 1, dims: [1], rawData: f32([1]) })),
          { loadExternal: true },
        ),
      ).code,
    ).toBe('MC_INVALID_ARGUMENT');
  });

  it('rejects a model without opset imports', () => {
    const bytes = concat(
      encodeMessage('ModelProto', { irVersion: 8 }),
      field(7, encodeMessage('GraphProto', { name: 'g' })),
    );
    expect(caught(() => decodeOnnx(bytes)).details.field).toBe('opset_import');
  });

  it('decodeTensorProto reports truncation and corruption of tensor files', () => {
    const bytes = encodeMessage('TensorProto', {
      name: 'x',
      dataType: 1,
      dims: [4],
      rawData: f32([1, 2, 3, 4]),
    });
    expect(caught(() => decodeTensorProto(bytes.subarray(0, bytes.length - 3), { file: 'x.pb' })).code).toBe(
      'MC_ONNX_TRUNCATED',
    );
    expect(caught(() => decodeTensorProto(new Uint8Array(16).fill(0xff))).code).toBe('MC_ONNX_DECODE');
  });
});

describe('encoding checks what it writes', () => {
  const base = (): Graph =>
    decodeOnnx(
      encodeMessage('ModelProto', addModel({ name: 'w', dataType: 1, dims: [2], rawData: f32([1, 2]) })),
    );

  it('rejects tensors whose bytes disagree with their dims', () => {
    const g = base();
    const broken: Graph = { ...g, initializers: [{ ...g.initializers[0], dims: [3] }] };
    const error = caught(() => encodeOnnx(broken, { file: 'out.onnx' }));
    expect(error.code).toBe('MC_MODEL_INVALID');
    expect(error.details).toMatchObject({ file: 'out.onnx', field: "graph.initializer[0] 'w'.raw_data" });
  });

  it('rejects non-integer int attributes, naming node and attribute', () => {
    const g = base();
    const broken: Graph = {
      ...g,
      nodes: [{ ...g.nodes[0], attributes: { axis: { type: 'int', value: 1.5 } } }],
    };
    const error = caught(() => encodeOnnx(broken));
    expect(error.code).toBe('MC_MODEL_INVALID');
    expect(error.details).toMatchObject({
      node: 'add',
      opType: 'Add',
      field: "graph.node[0].attribute 'axis'.i",
    });
  });

  it('writes tensors created in the IR', () => {
    const g = base();
    const w = createTensor('w', DataType.FLOAT, [2], [5, 6]);
    expect(decodeOnnx(encodeOnnx({ ...g, initializers: [w] })).initializers[0]).toEqual(w);
  });
});

describe('loadOnnx', () => {
  it('reports missing files and folders', async () => {
    await expect(loadOnnx(join(scratch, 'nope.onnx'))).rejects.toMatchObject({ code: 'MC_FILE_NOT_FOUND' });
    await expect(loadOnnx(scratch)).rejects.toMatchObject({ code: 'MC_NOT_A_FILE' });
  });

  it('names the file in decode errors', async () => {
    const file = join(scratch, 'garbage.onnx');
    writeFileSync(file, new Uint8Array(100).fill(0xff));
    await expect(loadOnnx(file)).rejects.toMatchObject({ code: 'MC_ONNX_DECODE', details: { file } });
  });
});
