/**
 * IR → TF.js: hand-built IR graphs are encoded with `encodeTfjs`, loaded with
 * `tf.loadLayersModel(tf.io.fromMemory(...))`, and must match onnxruntime-web on the IR to 1e-4
 * (TF.js fed NHWC, rank-4 outputs compared NHWC).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { DataType } from '../dtype';
import type { Graph } from '../graph';
import { GraphBuilder } from '../shape/test-builders';
import { createTensor } from '../tensor';
import { decodeTfjs } from './decode';
import { encodeTfjs, type EncodedTfjs } from './encode';
import {
  loadEncoded,
  loadTf,
  maxAbsDiff,
  predict,
  randomData,
  runOrt,
  saveToMemory,
  toNhwc,
  type Dense,
  type Tf,
} from './test-runtimes';

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
});

const TOL = 1e-4;

function classes(encoded: EncodedTfjs): string[] {
  return (encoded.modelJson.modelTopology.config as { layers: { class_name: string }[] }).layers.map(
    (l) => l.class_name,
  );
}

/** Encodes, loads in TF.js, and compares with onnxruntime-web on the IR graph. `nhwcInput`: the graph input is NHWC already. */
async function check(
  graph: Graph,
  input: Dense,
  options: { nhwcInput?: boolean } = {},
): Promise<EncodedTfjs> {
  const encoded = encodeTfjs(graph);
  const model = await loadEncoded(tf, encoded);
  try {
    const [expected] = await runOrt(graph, { [graph.inputs[0].name]: input });
    const feed = input.dims.length === 4 && !options.nhwcInput ? toNhwc(input) : input;
    const actual = predict(tf, model, feed);
    const want = expected.dims.length === 4 ? toNhwc(expected) : expected;
    expect(actual.dims).toEqual(want.dims);
    const diff = maxAbsDiff(actual, want);
    expect(diff, `max |tfjs - ort| = ${diff}`).toBeLessThan(TOL);
  } finally {
    model.dispose();
  }
  return encoded;
}

function image(n: number, c: number, h: number, w: number, seed = 3): Dense {
  return { data: randomData(n * c * h * w, seed), dims: [n, c, h, w] };
}

describe('encodeTfjs: layouts', () => {
  it('Flatten of NCHW features → Relu → Gemm(transB, alpha, beta): Dense kernel rows reordered, no Permute', async () => {
    const b = new GraphBuilder({ seed: 4 });
    const x = b.input('x', ['N', 3, 6, 5]);
    const c = b.conv(x, { inChannels: 3, outChannels: 4, kernel: 3, pads: [1, 1, 1, 1] });
    const f = b.relu(b.flatten(c));
    const w = b.weight('fc.weight', [7, 4 * 6 * 5]);
    const bias = b.weight('fc.bias', [7]);
    b.output(b.op('Gemm', [f, w, bias], { transB: 1, alpha: 0.5, beta: { type: 'float', value: 2 } }), [
      'N',
      7,
    ]);
    const encoded = await check(b.build(), image(2, 3, 6, 5));
    expect(classes(encoded)).not.toContain('Permute');
    expect(classes(encoded)).toContain('Flatten');
  });

  it('a Flatten read by no Dense (a graph output) is put back in C, H, W order', async () => {
    const b = new GraphBuilder({ seed: 5 });
    const x = b.input('x', ['N', 2, 4, 3]);
    const c = b.conv(x, { inChannels: 2, outChannels: 3, kernel: 1 });
    b.output(b.flatten(c), ['N', 36]);
    const encoded = await check(b.build(), image(2, 2, 4, 3));
    expect(classes(encoded)).toContain('Permute');
  });

  it('a rank-4 graph output comes out NHWC; Transpose nodes become bookkeeping', async () => {
    const b = new GraphBuilder({ seed: 6 });
    const x = b.input('x', ['N', 2, 5, 5]);
    const c = b.conv(x, { inChannels: 2, outChannels: 3, kernel: 3, pads: [1, 1, 1, 1] });
    const t = b.op('Transpose', [c], { perm: [0, 2, 3, 1] });
    const back = b.op('Transpose', [b.relu(t)], { perm: [0, 3, 1, 2] });
    b.output(b.conv(back, { inChannels: 3, outChannels: 2, kernel: 1 }), ['N', 2, 5, 5]);
    const encoded = await check(b.build(), image(1, 2, 5, 5));
    expect(classes(encoded)).not.toContain('Permute');
  });

  it('PyTorch-style flatten (Shape → Gather → Unsqueeze → Concat → Reshape) needs no layers for the shape arithmetic', async () => {
    const b = new GraphBuilder({ seed: 7 });
    const x = b.input('x', ['N', 1, 6, 6]);
    const c = b.conv(x, { inChannels: 1, outChannels: 2, kernel: 3 });
    const flat = b.pytorchFlatten(b.maxPool(c, 2));
    b.output(b.gemm(flat, { inFeatures: 8, outFeatures: 3 }), ['N', 3]);
    const encoded = await check(b.build(), image(3, 1, 6, 6));
    expect(classes(encoded)).toEqual(['InputLayer', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
  });

  it('Reshape of a vector to an image, then a Conv', async () => {
    const b = new GraphBuilder({ seed: 8 });
    const x = b.input('x', ['N', 48]);
    const img = b.reshape(x, [-1, 3, 4, 4]);
    const c = b.conv(img, { inChannels: 3, outChannels: 2, kernel: 3 });
    b.output(b.flatten(c), ['N', 8]);
    await check(b.build(), { data: randomData(96, 9), dims: [2, 48] });
  });
});

describe('encodeTfjs: padding', () => {
  it('asymmetric and PyTorch-style pads → ZeroPadding2D; SAME pads → padding same; SAME_UPPER; pools', async () => {
    const b = new GraphBuilder({ seed: 9 });
    const x = b.input('x', ['N', 2, 10, 9]);
    let h = b.conv(x, { inChannels: 2, outChannels: 3, kernel: 3, pads: [0, 1, 2, 1] });
    h = b.conv(h, { inChannels: 3, outChannels: 4, kernel: 3, strides: [2, 2], pads: [1, 1, 1, 1] });
    h = b.conv(h, { inChannels: 4, outChannels: 4, kernel: 3, pads: [1, 1, 1, 1] }); // equals SAME at stride 1
    h = b.conv(h, { inChannels: 4, outChannels: 3, kernel: 2, strides: [2, 2], autoPad: 'SAME_UPPER' });
    h = b.op('AveragePool', [h], {
      kernel_shape: [2, 2],
      strides: [1, 1],
      pads: [1, 1, 1, 1],
      count_include_pad: 1,
    });
    h = b.maxPool(h, 3, [1, 1], { pads: [1, 1, 1, 1] });
    h = b.maxPool(h, 2, [2, 2], { ceil_mode: 1 }); // 4x4 input: ceil changes nothing
    b.output(b.flatten(h), ['N', 12]); // 10x9 → 10x9 → 5x5 → 5x5 → 3x3 → 4x4 → 4x4 → 2x2, 3 channels
    const encoded = await check(b.build(), image(2, 2, 10, 9));
    expect(classes(encoded).filter((c) => c === 'ZeroPadding2D')).toHaveLength(3);
    const convs = (
      encoded.modelJson.modelTopology.config as {
        layers: { class_name: string; config: { padding?: string } }[];
      }
    ).layers.filter((l) => l.class_name === 'Conv2D');
    expect(convs.map((c) => c.config.padding)).toEqual(['valid', 'valid', 'same', 'same']);
  });
});

describe('encodeTfjs: ops', () => {
  it('squeeze-excitation (GlobalAveragePool → 1x1 Conv → Mul broadcast), Concat on channels, Softmax over channels', async () => {
    const b = new GraphBuilder({ seed: 10 });
    const x = b.input('x', ['N', 4, 6, 6]);
    const f = b.relu(b.conv(x, { inChannels: 4, outChannels: 4, kernel: 3, pads: [1, 1, 1, 1] }));
    const s = b.op('Sigmoid', [
      b.conv(b.op('GlobalAveragePool', [f]), { inChannels: 4, outChannels: 4, kernel: 1 }),
    ]);
    const scaled = b.op('Mul', [f, s]);
    const cat = b.op('Concat', [scaled, x], { axis: 1 });
    b.output(b.op('Softmax', [cat], { axis: 1 }), ['N', 8, 6, 6]);
    const encoded = await check(b.build(), image(2, 4, 6, 6));
    const convs = (
      encoded.modelJson.modelTopology.config as {
        layers: { class_name: string; config: { activation?: string } }[];
      }
    ).layers.filter((l) => l.class_name === 'Conv2D');
    expect(convs.map((c) => c.config.activation)).toEqual(['relu', 'sigmoid']);
    const concat = (
      encoded.modelJson.modelTopology.config as {
        layers: { class_name: string; config: { axis?: number } }[];
      }
    ).layers.find((l) => l.class_name === 'Concatenate');
    expect(concat?.config.axis).toBe(-1);
  });

  it('MatMul + Add fuse into one Dense; LeakyRelu, Elu, Selu, HardSigmoid, Softplus, Tanh, Clip(0, 6) with Constant bounds', async () => {
    const b = new GraphBuilder({ seed: 11 });
    const x = b.input('x', ['N', 5]);
    let h = b.op('Add', [b.op('MatMul', [x, b.weight('w1', [5, 6])]), b.weight('b1', [6])]);
    h = b.op('LeakyRelu', [h], { alpha: 0.1 });
    h = b.op('Elu', [b.op('MatMul', [h, b.weight('w2', [6, 6])])]);
    h = b.op('Selu', [h]);
    h = b.op('HardSigmoid', [b.gemm(h, { inFeatures: 6, outFeatures: 6 })]);
    h = b.op('Tanh', [b.op('Softplus', [b.gemm(h, { inFeatures: 6, outFeatures: 6 })])]);
    const lo = b.op('Constant', [], { value: createTensor('lo', DataType.FLOAT, [], [0]) });
    const hi = b.op('Constant', [], { value: createTensor('hi', DataType.FLOAT, [], [6]) });
    h = b.op('Clip', [b.gemm(h, { inFeatures: 6, outFeatures: 4 }), lo, hi]);
    b.output(h, ['N', 4]);
    const encoded = await check(b.build(), { data: randomData(15, 4, -3, 3), dims: [3, 5] });
    const layers = (
      encoded.modelJson.modelTopology.config as {
        layers: { class_name: string; config: { activation?: string } }[];
      }
    ).layers;
    // Activations TF.js can fuse ride in the Dense layer (Elu(1), Clip(0, 6) → relu6); the others stay layers.
    expect(layers.filter((l) => l.class_name === 'Dense').map((l) => l.config.activation)).toEqual([
      'linear',
      'elu',
      'linear',
      'linear',
      'relu6',
    ]);
    expect(classes(encoded)).toContain('LeakyReLU');
  });

  it('depthwise Conv (multiplier 2), BatchNormalization, PRelu with a [C, 1, 1] slope, Pad, ReduceMean over H, W, BN after Flatten', async () => {
    const b = new GraphBuilder({ seed: 12 });
    const x = b.input('x', ['N', 3, 7, 7]);
    let h = b.conv(x, { inChannels: 3, outChannels: 6, kernel: 3, group: 3, pads: [1, 1, 1, 1] });
    h = b.batchNorm(h, 6);
    h = b.op('PRelu', [h, b.weight('slope', [6, 1, 1])]);
    h = b.op('Pad', [h, b.int64('pads', [0, 0, 1, 0, 0, 0, 0, 2])], { mode: 'constant' });
    const pooled = b.op('ReduceMean', [h], { axes: [2, 3], keepdims: 0 });
    const local = b.batchNorm(b.flatten(b.maxPool(h, 2)), 6 * 4 * 4);
    const mixed = b.gemm(local, { inFeatures: 96, outFeatures: 6 });
    b.output(b.op('Add', [pooled, mixed]), ['N', 6]);
    const encoded = await check(b.build(), image(2, 3, 7, 7));
    expect(classes(encoded)).toContain('DepthwiseConv2D');
    expect(classes(encoded)).toContain('PReLU');
  });
});

describe('encodeTfjs: round trips', () => {
  it('TF.js → IR → TF.js gives the same model: same NHWC input, same outputs, no Permute', async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [9, 9, 2],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
    );
    m.add(tf.layers.batchNormalization({}));
    m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2 }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 5, activation: 'softmax' }));
    m.setWeights(m.getWeights().map((w, i) => tf.tensor(randomData(w.size, 50 + i, 0.2, 1), w.shape)));
    const saved = await saveToMemory(tf, m);
    const encoded = encodeTfjs(decodeTfjs(saved.modelJson, saved.weightData));
    expect(classes(encoded)).not.toContain('Permute');
    const layers = (
      encoded.modelJson.modelTopology.config as {
        layers: { class_name: string; config: Record<string, unknown> }[];
      }
    ).layers;
    expect(layers[0].config.batch_input_shape).toEqual([null, 9, 9, 2]);
    const back = await loadEncoded(tf, encoded);
    const input: Dense = { data: randomData(2 * 9 * 9 * 2, 8), dims: [2, 9, 9, 2] };
    expect(maxAbsDiff(predict(tf, back, input), predict(tf, m, input))).toBeLessThan(TOL);
    back.dispose();
  });

  it('IR → TF.js → IR (layout nchw) runs like the source graph in onnxruntime-web', async () => {
    const b = new GraphBuilder({ seed: 13 });
    const x = b.input('x', ['N', 1, 8, 8]);
    const c = b.relu(b.conv(x, { inChannels: 1, outChannels: 3, kernel: 3 }));
    b.output(b.gemm(b.flatten(b.maxPool(c, 2)), { inFeatures: 27, outFeatures: 4 }), ['N', 4]);
    const graph = b.build();
    const encoded = encodeTfjs(graph);
    const again = decodeTfjs(encoded.modelJson, encoded.weightData, { layout: 'nchw' });
    const input = image(2, 1, 8, 8);
    const [want] = await runOrt(graph, { x: input });
    const [got] = await runOrt(again, { [again.inputs[0].name]: input });
    expect(maxAbsDiff(got, want)).toBeLessThan(TOL);
    expect(again.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm']);
    // Input and output names survive the trip.
    expect(again.inputs.map((i) => i.name)).toEqual(['x']);
    expect(again.outputs.map((o) => o.name)).toEqual(graph.outputs.map((o) => o.name));
  });
});

describe('encodeTfjs: errors', () => {
  function errorOf(graph: Graph): unknown {
    try {
      encodeTfjs(graph, { file: 'g.onnx' });
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it('an op with no Keras layer: MC_UNSUPPORTED_OP naming the node and op type', () => {
    const b = new GraphBuilder();
    const x = b.input('x', ['N', 4]);
    b.output(b.op('Sub', [x, x], {}, { name: 'diff' }), ['N', 4]);
    const err = errorOf(b.build());
    expect(isMetacompressError(err, 'MC_UNSUPPORTED_OP')).toBe(true);
    expect((err as { details: Record<string, unknown> }).details).toMatchObject({
      node: 'diff',
      opType: 'Sub',
      file: 'g.onnx',
    });
  });

  it('a grouped (not depthwise) Conv, an Add of a constant, a custom-domain op: MC_UNSUPPORTED_OP', () => {
    const g1 = new GraphBuilder();
    g1.output(
      g1.conv(g1.input('x', ['N', 4, 5, 5]), {
        inChannels: 4,
        outChannels: 4,
        kernel: 3,
        group: 2,
        name: 'grouped',
      }),
      ['N', 4, 3, 3],
    );
    const e1 = errorOf(g1.build());
    expect(isMetacompressError(e1, 'MC_UNSUPPORTED_OP')).toBe(true);
    expect((e1 as Error).message).toContain('group 2');

    const g2 = new GraphBuilder();
    g2.output(g2.op('Add', [g2.input('x', ['N', 4]), g2.weight('c', [4])], {}, { name: 'shift' }), ['N', 4]);
    const e2 = errorOf(g2.build());
    expect(isMetacompressError(e2, 'MC_UNSUPPORTED_OP')).toBe(true);
    expect((e2 as { details: Record<string, unknown> }).details.node).toBe('shift');

    const g3 = new GraphBuilder({ extraOpsets: [{ domain: 'com.microsoft', version: 1 }] });
    g3.output(g3.op('FusedGemm', [g3.input('x', ['N', 4])], {}, { name: 'ms', domain: 'com.microsoft' }), [
      'N',
      4,
    ]);
    const e3 = errorOf(g3.build());
    expect(isMetacompressError(e3, 'MC_UNSUPPORTED_OP')).toBe(true);
    expect((e3 as Error).message).toContain('com.microsoft::FusedGemm');
  });
});
