import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataType,
  createTensor,
  decodeOnnx,
  decodeTensorProto,
  encodeOnnx,
  encodeTensorProto,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  loadOnnx,
  saveOnnx,
  toNumbers,
  toTypedArray,
  type Graph,
  type Tensor,
  type Node,
} from '../src/index';
import { onnxTypes } from '../src/onnx/onnx-schema';
import { createReader } from '../src/onnx/reader';
import { addModel, bytes, encodeMessage, f32, richModel } from '../src/onnx/test-models';

const scratch = mkdtempSync(join(tmpdir(), 'mc-onnx-roundtrip-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const elements = (t: Tensor): (number | bigint)[] =>
  Array.from(toTypedArray(t) as ArrayLike<number | bigint>);

const node = (g: { nodes: readonly Node[] }, name: string): Node => {
  const n = g.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
};

describe('decodeOnnx maps every part of a model', () => {
  const graph = decodeOnnx(encodeMessage('ModelProto', richModel()), { file: 'rich.onnx' });

  it('keeps the model information', () => {
    expect(graph.model).toMatchObject({
      irVersion: 10,
      producerName: 'metacompress-test',
      producerVersion: '0.1',
      domain: 'org.example',
      modelVersion: 3,
      docString: 'a model using every feature',
      opsetImports: [
        { domain: '', version: 21 },
        { domain: 'com.example', version: 1 },
      ],
      metadataProps: [{ key: 'author', value: 'tests' }],
    });
    expect(graph.model.functions).toHaveLength(1);
    expect((graph.model.functions?.[0] as { overload: string }).overload).toBe('v2');
    expect(graph.model.trainingInfo).toHaveLength(1);
    expect((graph.model.configuration?.[0] as { device: string[] }).device).toEqual(['cpu0', 'cpu1']);
    expect(graph.name).toBe('main');
    expect(graph.docString).toBe('the main graph');
    expect(graph.metadataProps).toEqual([{ key: 'graph_meta', value: '1' }]);
    expect(graph.sparseInitializers).toHaveLength(1);
    expect(graph.quantizationAnnotation).toHaveLength(1);
  });

  it('maps value infos with dim_param, unknown dims, denotations and non-tensor types', () => {
    expect(graph.inputs[0]).toEqual({
      name: 'x',
      docString: 'the input',
      metadataProps: [{ key: 'vi', value: 'x' }],
      type: {
        kind: 'tensor',
        elemType: DataType.FLOAT,
        shape: ['N', 3, null],
        dimDenotations: ['DATA_BATCH', undefined, undefined],
        denotation: 'TENSOR',
      },
    });
    expect(graph.inputs[1].type?.kind).toBe('other');
    expect(graph.inputs[2].type).toEqual({ kind: 'tensor', elemType: DataType.BOOL, shape: [] });
    expect(graph.outputs[0].type).toEqual({ kind: 'tensor', elemType: DataType.FLOAT, shape: ['N', 3] });
    expect(graph.valueInfo[0].type).toEqual({ kind: 'tensor', elemType: DataType.FLOAT, shape: [0] });
  });

  it('converts typed data fields to raw bytes and keeps raw_data as a view of the input', () => {
    const input = encodeMessage('ModelProto', richModel());
    const g = decodeOnnx(input);
    const [w, half, shape, names, scalar] = g.initializers;
    expect(w.raw?.buffer).toBe(input.buffer);
    expect(elements(w)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(w.docString).toBe('weights');
    expect(w.metadataProps).toEqual([{ key: 't', value: 'w' }]);
    expect(elements(half)).toEqual([0x3c00, 0xc000]);
    expect(Array.from(toNumbers(half))).toEqual([1, -2]);
    expect(elements(shape)).toEqual([1n, -1n]);
    expect(names.strings?.map((s) => new TextDecoder().decode(s))).toEqual(['cat', 'dog']);
    expect(names.raw).toBeUndefined();
    expect(scalar.dims).toEqual([]);
    expect(elements(scalar)).toEqual([2.5]);
  });

  it('maps every attribute type, ref_attr_name and doc strings, and keeps unknown-domain ops', () => {
    const custom = node(graph, 'custom');
    expect(custom).toMatchObject({
      opType: 'MyOp',
      domain: 'com.example',
      overload: 'v2',
      docString: 'an op of an unknown domain',
      inputs: ['x', 'w', ''],
      outputs: ['h'],
    });
    expect(custom.metadataProps).toEqual([{ key: 'node_meta', value: 'yes' }]);
    expect(custom.deviceConfigurations).toHaveLength(1);
    const a = custom.attributes;
    expect(a.alpha).toEqual({ type: 'float', value: 0.5, docString: 'a float' });
    expect(a.big).toEqual({ type: 'int', value: 2 ** 63 });
    expect(a.small).toEqual({ type: 'int', value: -(2 ** 63) });
    expect(a.mode).toEqual({ type: 'string', value: 'héllo' });
    expect(a.tensor.type).toBe('tensor');
    expect(a.tensor.type === 'tensor' && elements(a.tensor.value)).toEqual([1, -2]);
    expect(a.floats).toEqual({ type: 'floats', value: [1.5, -2] });
    expect(a.ints).toEqual({ type: 'ints', value: [1, -2, 3] });
    expect(a.no_ints).toEqual({ type: 'ints', value: [] });
    expect(a.strings).toEqual({ type: 'strings', value: ['a', 'b'] });
    expect(a.tensors.type === 'tensors' && elements(a.tensors.value[0])).toEqual([1, 2, 255]);
    expect(a.graphs.type === 'graphs' && a.graphs.value[0].nodes[0].opType).toBe('Neg');
    expect(a.sparse.type).toBe('sparseTensor');
    expect(a.sparses.type === 'sparseTensors' && a.sparses.value).toHaveLength(1);
    expect(a.tp.type).toBe('typeProto');
    expect(a.tps.type === 'typeProtos' && a.tps.value).toHaveLength(2);
    expect(a.ref).toEqual({ type: 'int', value: 0, refAttrName: 'parent_count' });
  });

  it('decodes nested graphs recursively into graph bodies', () => {
    const branch = node(graph, 'branch');
    const then = branch.attributes.then_branch;
    if (then.type !== 'graph') throw new Error('then_branch is not a graph');
    expect(then.value.name).toBe('then');
    expect(elements(then.value.initializers[0])).toEqual([0.25]);
    const nested = then.value.nodes[1].attributes.else_branch;
    expect(nested.type === 'graph' && nested.value.name).toBe('inner_else');
  });
});

describe('encodeOnnx is lossless', () => {
  it('decode → encode → decode gives a deep-equal graph, and re-encoding is byte-stable', () => {
    const first = decodeOnnx(encodeMessage('ModelProto', richModel()));
    const encoded = encodeOnnx(first);
    const second = decodeOnnx(encoded);
    expect(isDeepStrictEqual(second, first)).toBe(true);
    expect(Buffer.from(encodeOnnx(second)).equals(Buffer.from(encoded))).toBe(true);
  });

  it('writes int64 attributes at the limits back exactly (INT64_MAX / INT64_MIN)', () => {
    const encoded = encodeOnnx(decodeOnnx(encodeMessage('ModelProto', richModel())));
    const message = onnxTypes().ModelProto.decode(createReader(encoded)) as unknown as {
      graph: { node: { attribute: { name: string; i: { toString(): string } }[] }[] };
    };
    const attrs = message.graph.node[0].attribute;
    expect(attrs.find((a) => a.name === 'big')?.i.toString()).toBe('9223372036854775807');
    expect(attrs.find((a) => a.name === 'small')?.i.toString()).toBe('-9223372036854775808');
  });

  it('round-trips every model of libonnx-testdata', () => {
    const root = '/usr/share/libonnx-testdata/data';
    if (!existsSync(root)) expect.fail(`libonnx-testdata missing: ${root} not found`);
    const problems: string[] = [];
    let count = 0;
    for (const kind of ['node', 'simple', 'pytorch-converted', 'pytorch-operator']) {
      for (const test of readdirSync(join(root, kind))) {
        const file = join(root, kind, test, 'model.onnx');
        if (!existsSync(file)) continue;
        count++;
        const first = decodeOnnx(readFileSync(file), { file });
        const encoded = encodeOnnx(first);
        const second = decodeOnnx(encoded);
        if (!isDeepStrictEqual(second, first))
          problems.push(`${kind}/${test}: graph differs after a round trip`);
        else if (!Buffer.from(encodeOnnx(second)).equals(Buffer.from(encoded)))
          problems.push(`${kind}/${test}: re-encoding is not stable`);
      }
    }
    expect(count).toBeGreaterThan(1000);
    expect(problems).toEqual([]);
  });
});

describe('tensor data conversion follows the ONNX spec', () => {
  const decodeOne = (t: Record<string, unknown>) => decodeTensorProto(encodeMessage('TensorProto', t));
  const raw = (view: ArrayBufferView) =>
    Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));

  it.each([
    [
      'float16 in int32_data',
      { dataType: 10, dims: [3], int32Data: [0x3c00, 0xc000, 0x7c00] },
      new Uint16Array([1, -2, Infinity].map(float32ToFloat16Bits)),
    ],
    [
      'bfloat16 in int32_data',
      { dataType: 16, dims: [2], int32Data: [0x3f80, 0xc040] },
      new Uint16Array([1, -3].map(float32ToBfloat16Bits)),
    ],
    [
      'int8 in int32_data',
      { dataType: 3, dims: [3], int32Data: [-128, -1, 127] },
      new Int8Array([-128, -1, 127]),
    ],
    ['uint8 in int32_data', { dataType: 2, dims: [2], int32Data: [0, 255] }, new Uint8Array([0, 255])],
    ['bool in int32_data', { dataType: 9, dims: [3], int32Data: [1, 0, 1] }, new Uint8Array([1, 0, 1])],
    [
      'int16 in int32_data',
      { dataType: 5, dims: [2], int32Data: [-32768, 32767] },
      new Int16Array([-32768, 32767]),
    ],
    ['uint16 in int32_data', { dataType: 4, dims: [1], int32Data: [65535] }, new Uint16Array([65535])],
    [
      'int4 packed in int32_data',
      { dataType: 22, dims: [3], int32Data: [0xf1, 0x07] },
      new Uint8Array([0xf1, 0x07]),
    ],
    ['uint4 packed in int32_data', { dataType: 21, dims: [2], int32Data: [0xa5] }, new Uint8Array([0xa5])],
    [
      'int32 in int32_data',
      { dataType: 6, dims: [2], int32Data: [-5, 2147483647] },
      new Int32Array([-5, 2147483647]),
    ],
    [
      'int64 in int64_data',
      { dataType: 7, dims: [2], int64Data: [{ low: -1, high: 0x7fffffff }, -3] },
      new BigInt64Array([2n ** 63n - 1n, -3n]),
    ],
    [
      'uint64 in uint64_data',
      { dataType: 13, dims: [1], uint64Data: [{ low: -1, high: -1, unsigned: true }] },
      new BigUint64Array([2n ** 64n - 1n]),
    ],
    [
      'uint32 in uint64_data',
      { dataType: 12, dims: [1], uint64Data: [4294967295] },
      new Uint32Array([4294967295]),
    ],
    [
      'double in double_data',
      { dataType: 11, dims: [2], doubleData: [0.1, -1e300] },
      new Float64Array([0.1, -1e300]),
    ],
    ['float in float_data', { dataType: 1, dims: [2], floatData: [0.5, -3] }, new Float32Array([0.5, -3])],
    ['complex64 in float_data', { dataType: 14, dims: [1], floatData: [1, 2] }, new Float32Array([1, 2])],
  ])('%s', (_name, proto, expected) => {
    const t = decodeOne(proto);
    expect(raw(t.raw as Uint8Array)).toEqual(raw(expected));
    // Re-encoded as raw_data, it decodes to the same tensor.
    expect(decodeTensorProto(encodeTensorProto(t))).toEqual(t);
  });

  it('encodeTensorProto and decodeTensorProto round-trip IR tensors', () => {
    const t = createTensor('b', DataType.FLOAT16, [2, 2], [0.5, 1, -2, 4]);
    expect(decodeTensorProto(encodeTensorProto(t))).toEqual(t);
  });
});

describe('files', () => {
  it('saveOnnx writes a file loadOnnx reads back equal, and refuses to overwrite protected paths', async () => {
    const src = join(scratch, 'rich.onnx');
    const original = decodeOnnx(encodeMessage('ModelProto', richModel()));
    await saveOnnx(original, src);
    const loaded = await loadOnnx(src);
    expect(isDeepStrictEqual(loaded, original)).toBe(true);
    const before = readFileSync(src);
    await expect(saveOnnx(loaded, src, { protect: [src] })).rejects.toMatchObject({
      code: 'MC_OUTPUT_IS_INPUT',
    });
    expect(readFileSync(src).equals(before)).toBe(true);
    expect(readdirSync(scratch).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('written files pass the ONNX checker (python onnx, when installed)', async () => {
    const graph: Graph = decodeOnnx(
      encodeMessage('ModelProto', addModel({ name: 'w', dataType: 1, dims: [2], floatData: [1, 2] })),
    );
    const file = join(scratch, 'add.onnx');
    await saveOnnx(graph, file);
    expect(decodeOnnx(readFileSync(file)).initializers[0].raw).toEqual(f32([1, 2]));
    const samples = [
      'node/test_conv_with_strides_padding',
      'node/test_if',
      'node/test_loop11',
      'node/test_scan9_sum',
      'pytorch-converted/test_Conv2d',
      'simple/test_sequence_model1',
    ]
      .map((t) => join('/usr/share/libonnx-testdata/data', t, 'model.onnx'))
      .filter((f) => existsSync(f));
    const resaved: string[] = [file];
    for (const [i, f] of samples.entries()) {
      const out = join(scratch, `sample${i}.onnx`);
      await saveOnnx(await loadOnnx(f), out);
      resaved.push(out);
    }
    let python = true;
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    } catch {
      python = false;
    }
    if (!python) {
      console.log(
        'note: /usr/bin/python3 with the onnx package is missing; the ONNX checker part of this test was not run',
      );
      return;
    }
    const script =
      'import sys, onnx\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\nprint("ok", len(sys.argv) - 1)';
    const out = execFileSync('/usr/bin/python3', ['-c', script, ...resaved], { encoding: 'utf8' });
    expect(out.trim()).toBe(`ok ${resaved.length}`);
  });

  it('keeps strings exactly, including non-ASCII attribute text', () => {
    const g = decodeOnnx(
      encodeMessage(
        'ModelProto',
        addModel({ name: 'w', dataType: 1, dims: [2], rawData: f32([1, 2]), docString: 'ünïcode ✓' }),
      ),
    );
    const again = decodeOnnx(encodeOnnx(g));
    expect(again.initializers[0].docString).toBe('ünïcode ✓');
    expect(bytes('✓')).toHaveLength(3);
  });
});
