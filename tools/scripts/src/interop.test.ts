import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import protobuf from 'protobufjs';
import * as ort from 'onnxruntime-web';
import { listWorkspacePackages } from '../workspace-packages.mjs';

/**
 * These tests run under the shared vitest config (vitest.shared.ts) that every package uses. They
 * check that workspace packages resolve to their TypeScript sources, while heavy npm dependencies
 * (CJS or ESM) load the way Node loads them: one tfjs engine, protobufjs' CJS default export,
 * onnxruntime-web's wasm runtime.
 */

/**
 * A one-node ONNX model (Relu over float[3]) written field by field with protobufjs. Field numbers
 * are onnx.proto's: ModelProto{1 ir_version, 7 graph, 8 opset_import}, GraphProto{1 node, 2 name,
 * 11 input, 12 output}, NodeProto{1 input, 2 output, 3 name, 4 op_type}, ValueInfoProto{1 name,
 * 2 type}, TypeProto{1 tensor_type{1 elem_type, 2 shape{1 dim{1 dim_value}}}}.
 */
function reluModel(): Uint8Array {
  const w = protobuf.Writer.create();
  const message = (field: number, body: () => void) => {
    w.uint32((field << 3) | 2).fork();
    body();
    w.ldelim();
  };
  const text = (field: number, value: string) => w.uint32((field << 3) | 2).string(value);
  const varint = (field: number, value: number) => w.uint32(field << 3).int64(value);
  const floatVector = (name: string) => {
    text(1, name);
    message(2, () =>
      message(1, () => {
        varint(1, 1); // FLOAT
        message(2, () => message(1, () => varint(1, 3)));
      }),
    );
  };
  varint(1, 8);
  message(8, () => varint(2, 13));
  message(7, () => {
    message(1, () => {
      text(1, 'x');
      text(2, 'y');
      text(3, 'relu');
      text(4, 'Relu');
    });
    text(2, 'relu-graph');
    message(11, () => floatVector('x'));
    message(12, () => floatVector('y'));
  });
  return w.finish();
}

describe('module resolution under vitest.shared.ts', () => {
  const sourcePackages = listWorkspacePackages().filter(
    (p) => p.manifest.exports?.['.']?.['@metacompress/source'],
  );

  it('resolves every workspace package to its TypeScript source, so tests need no build', () => {
    expect(sourcePackages.length).toBeGreaterThanOrEqual(10);
    for (const pkg of sourcePackages) {
      expect(import.meta.resolve(pkg.name), pkg.name).toBe(new URL(`file://${pkg.dir}/src/index.ts`).href);
    }
  });

  it('resolves npm dependencies to their files in node_modules', () => {
    expect(import.meta.resolve('protobufjs')).toMatch(/node_modules\/protobufjs\//);
    expect(import.meta.resolve('onnxruntime-web')).toMatch(/node_modules\/onnxruntime-web\/dist\//);
  });

  it('shares one tfjs engine between tfjs-core and the cpu backend (CJS and ESM builds not mixed)', async () => {
    expect(tf.findBackendFactory('cpu')).toBeDefined();
    await tf.setBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const sum = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]));
    expect(Array.from(await sum.data())).toEqual([4, 6]);
    sum.dispose();
  });

  it('reads protobufjs through its CommonJS default export and round-trips bytes', () => {
    const bytes = reluModel();
    const reader = protobuf.Reader.create(bytes);
    expect(reader.uint32()).toBe(8); // field 1, varint
    expect(Number(reader.int64())).toBe(8);
  });

  it('runs a model in onnxruntime-web (wasm) from a test', async () => {
    const session = await ort.InferenceSession.create(reluModel());
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([-1, 0, 2.5]), [3]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([0, 0, 2.5]);
    await session.release();
  });
});
