/**
 * TF.js → IR: models built with tfjs-layers, saved through `withSaveHandler`, decoded with
 * `decodeTfjs`, encoded to ONNX and run in onnxruntime-web must match `model.predict` to 1e-4.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import { isMetacompressError } from '@metacompress/core';
import { encodeOnnx } from '../onnx/encode';
import { decodeTfjs } from './decode';
import {
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
import type { Graph } from '../graph';

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
});

const TOL = 1e-4;

/** Random weights (seeded) so that BN statistics and biases are not trivial. */
function randomizeWeights(model: TfLayers.LayersModel, seed: number): void {
  const names = model.weights.map((w) => w.originalName);
  const values = model.getWeights().map((w, i) => {
    const data = randomData(w.size, seed + i * 7919, -0.5, 0.5);
    const isVariance = names[i].includes('moving_variance');
    return tf.tensor(isVariance ? data.map((v) => v + 0.75) : data, w.shape);
  });
  model.setWeights(values);
}

async function check(
  model: TfLayers.LayersModel,
  inputShape: number[],
  options: { layout?: 'nhwc' | 'nchw'; seed?: number } = {},
): Promise<Graph> {
  randomizeWeights(model, options.seed ?? 11);
  const { modelJson, weightData } = await saveToMemory(tf, model);
  const graph = decodeTfjs(modelJson, weightData, { layout: options.layout });
  const n = inputShape[0];
  const input: Dense = {
    data: randomData(
      inputShape.reduce((a, b) => a * b, 1),
      5,
    ),
    dims: inputShape,
  };
  const expected = predict(tf, model, input);
  let feed = input;
  if (options.layout === 'nchw' && inputShape.length === 4) {
    // the graph takes NCHW: transpose the NHWC test input
    const [b, h, w, c] = inputShape;
    const data = new Float32Array(input.data.length);
    for (let i = 0; i < b; i++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < c; k++)
            data[((i * c + k) * h + y) * w + x] = input.data[((i * h + y) * w + x) * c + k];
    feed = { data, dims: [b, c, h, w] };
  }
  const [actual] = await runOrt(graph, { [graph.inputs[0].name]: feed });
  const got = options.layout === 'nchw' && actual.dims.length === 4 ? toNhwc(actual) : actual;
  expect(got.dims).toEqual(expected.dims);
  expect(expected.dims[0]).toBe(n);
  expect(maxAbsDiff(got, expected)).toBeLessThan(TOL);
  return graph;
}

function ops(graph: Graph): string[] {
  return graph.nodes.map((n) => n.opType);
}

describe('decodeTfjs: sequential CNNs', () => {
  it('Conv2D same/valid + strides + dilation, pools, Flatten → Dense (kernel rows permuted, no Transpose before Flatten)', async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [12, 12, 3],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
    );
    m.add(tf.layers.conv2d({ filters: 5, kernelSize: [3, 2], strides: 2, padding: 'same' }));
    m.add(tf.layers.conv2d({ filters: 6, kernelSize: 3, dilationRate: 2, padding: 'valid', useBias: false }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dropout({ rate: 0.5 }));
    m.add(tf.layers.dense({ units: 7, activation: 'tanh' }));
    m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    const graph = await check(m, [2, 12, 12, 3]);
    // Input stays NHWC; exactly one Transpose (the input's), none before Flatten.
    expect(graph.inputs[0].type).toMatchObject({ shape: ['N', 12, 12, 3] });
    expect(ops(graph).filter((o) => o === 'Transpose')).toHaveLength(1);
    expect(ops(graph)).toContain('Flatten');
    expect(ops(graph).indexOf('Flatten')).toBeLessThan(ops(graph).indexOf('Gemm'));
    // Weighted nodes carry their Keras layer's name (coupling groups and policies read like the model).
    const weighted = graph.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').map((n) => n.name);
    expect(weighted).toEqual(m.layers.filter((l) => /conv2d|dense/.test(l.name)).map((l) => l.name));
  });

  it('the same model decodes with layout nchw: NCHW input, no Transpose at all', async () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, padding: 'same' }));
    m.add(tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 4 }));
    const graph = await check(m, [3, 8, 8, 2], { layout: 'nchw' });
    expect(graph.inputs[0].type).toMatchObject({ shape: ['N', 2, 8, 8] });
    expect(ops(graph)).not.toContain('Transpose');
  });

  it('DepthwiseConv2D (multiplier 2), SeparableConv2D, BatchNormalization, ReLU(maxValue 6) → Clip, GlobalAveragePooling2D', async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [10, 10, 3],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
      }),
    );
    m.add(tf.layers.batchNormalization({ epsilon: 1e-3 }));
    m.add(tf.layers.reLU({ maxValue: 6 }));
    m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }));
    m.add(tf.layers.batchNormalization({ center: false }));
    m.add(
      tf.layers.separableConv2d({
        filters: 5,
        kernelSize: 3,
        depthMultiplier: 2,
        padding: 'valid',
        activation: 'relu6',
      }),
    );
    m.add(tf.layers.globalAveragePooling2d({}));
    m.add(tf.layers.dense({ units: 3 }));
    const graph = await check(m, [2, 10, 10, 3]);
    const convs = graph.nodes.filter((n) => n.opType === 'Conv');
    expect(convs).toHaveLength(4); // conv, depthwise, separable = depthwise + pointwise
    expect(convs.map((c) => c.attributes.group?.value)).toEqual([1, 4, 8, 1]);
    expect(ops(graph).filter((o) => o === 'Clip')).toHaveLength(2);
  });

  it('Dense → BatchNormalization on features, LeakyReLU, ELU, PReLU, activations selu/softplus/hard_sigmoid/swish/elu', async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ inputShape: [6], units: 8, activation: 'selu' }));
    m.add(tf.layers.batchNormalization({}));
    m.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    m.add(tf.layers.dense({ units: 8, activation: 'softplus' }));
    m.add(tf.layers.elu({})); // tfjs-layers refuses other alphas
    m.add(tf.layers.prelu({}));
    m.add(tf.layers.dense({ units: 8, activation: 'hardSigmoid' }));
    m.add(tf.layers.activation({ activation: 'swish' }));
    m.add(tf.layers.dense({ units: 5, activation: 'elu' }));
    await check(m, [4, 6]);
  });

  it('Flatten → BatchNormalization → PReLU → Dense keeps the column permutation through per-feature layers', async () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [5, 4, 3], filters: 3, kernelSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.batchNormalization({}));
    m.add(tf.layers.prelu({}));
    m.add(tf.layers.dense({ units: 4 }));
    const graph = await check(m, [2, 5, 4, 3]);
    expect(ops(graph).filter((o) => o === 'Transpose')).toHaveLength(1);
  });

  it('ZeroPadding2D, GlobalMaxPooling2D, Reshape and Permute', async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.zeroPadding2d({
        inputShape: [6, 6, 2],
        padding: [
          [1, 2],
          [0, 1],
        ],
      }),
    );
    m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3 }));
    m.add(tf.layers.permute({ dims: [2, 1, 3] }));
    m.add(tf.layers.reshape({ targetShape: [-1, 4] }));
    m.add(tf.layers.reshape({ targetShape: [7, 5, 4] }));
    m.add(tf.layers.globalMaxPooling2d({}));
    await check(m, [2, 6, 6, 2]);
  });

  it('Flatten output read directly (no Dense): features come out in Keras H, W, C order', async () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [4, 4, 2], filters: 3, kernelSize: 3 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.activation({ activation: 'relu' }));
    await check(m, [2, 4, 4, 2]);
  });

  it('relu6/gelu/swish/mish activations, Dense on a rank-3 tensor (MatMul + Add); the ONNX passes onnx.checker', async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [9, 9, 3],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu6',
      }),
    );
    m.add(tf.layers.separableConv2d({ filters: 3, kernelSize: 3, activation: 'gelu' }));
    m.add(tf.layers.zeroPadding2d({ padding: 1 }));
    m.add(tf.layers.reLU({ maxValue: 4 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 5, activation: 'swish' }));
    m.add(tf.layers.reshape({ targetShape: [5, 1] }));
    m.add(tf.layers.dense({ units: 2, activation: 'mish' }));
    const graph = await check(m, [2, 9, 9, 3]);
    expect(ops(graph)).toEqual(expect.arrayContaining(['Erf', 'MatMul', 'Softplus', 'Pad']));
    const python = '/usr/bin/python3';
    if (existsSync(python) && spawnSync(python, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0) {
      const dir = mkdtempSync(join(tmpdir(), 'mc-tfjs-check-'));
      try {
        writeFileSync(join(dir, 'm.onnx'), encodeOnnx(graph));
        const r = spawnSync(
          python,
          [
            '-c',
            `import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)`,
            join(dir, 'm.onnx'),
          ],
          { encoding: 'utf8' },
        );
        expect(r.status, r.stderr).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('a rank-4 output is NHWC by default and NCHW with layout nchw', async () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 3, padding: 'same' }));
    const g1 = await check(m, [1, 5, 5, 2]);
    expect(g1.outputs[0].type).toMatchObject({ shape: ['N', 5, 5, 3] });
    expect(g1.outputs[0].name).toBe(m.layers[0].name);
    const g2 = await check(m, [1, 5, 5, 2], { layout: 'nchw' });
    expect(g2.outputs[0].type).toMatchObject({ shape: ['N', 3, 5, 5] });
  });
});

describe('decodeTfjs: functional models', () => {
  it('residual Add, Concatenate (channel axis → IR axis 1), Multiply, Average/Maximum/Minimum, Dropout', async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const a = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
      .apply(input) as TfLayers.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(input) as TfLayers.SymbolicTensor;
    const sum = tf.layers.add().apply([a, b]) as TfLayers.SymbolicTensor;
    const prod = tf.layers.multiply().apply([sum, b]) as TfLayers.SymbolicTensor;
    const avg = tf.layers.average().apply([prod, a]) as TfLayers.SymbolicTensor;
    const mx = tf.layers.maximum().apply([avg, b]) as TfLayers.SymbolicTensor;
    const mn = tf.layers.minimum().apply([mx, sum]) as TfLayers.SymbolicTensor;
    const cat = tf.layers.concatenate({ axis: -1 }).apply([mn, input]) as TfLayers.SymbolicTensor;
    const drop = tf.layers.dropout({ rate: 0.3 }).apply(cat) as TfLayers.SymbolicTensor;
    const pooled = tf.layers.maxPooling2d({ poolSize: 2 }).apply(drop) as TfLayers.SymbolicTensor;
    const flat = tf.layers.flatten().apply(pooled) as TfLayers.SymbolicTensor;
    const out = tf.layers.dense({ units: 5 }).apply(flat) as TfLayers.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const graph = await check(model, [2, 8, 8, 3]);
    const concat = graph.nodes.find((n) => n.opType === 'Concat')!;
    expect(concat.attributes.axis).toEqual({ type: 'int', value: 1 });
    expect(ops(graph)).not.toContain('Dropout');
  });

  it('two inputs and two outputs; a layer shared by two calls', async () => {
    const x1 = tf.input({ shape: [6] });
    const x2 = tf.input({ shape: [6] });
    const shared = tf.layers.dense({ units: 4, activation: 'relu' });
    const h1 = shared.apply(x1) as TfLayers.SymbolicTensor;
    const h2 = shared.apply(x2) as TfLayers.SymbolicTensor;
    const o1 = tf.layers.add().apply([h1, h2]) as TfLayers.SymbolicTensor;
    const o2 = tf.layers.concatenate().apply([h1, h2]) as TfLayers.SymbolicTensor;
    const model = tf.model({ inputs: [x1, x2], outputs: [o1, o2] });
    randomizeWeights(model, 3);
    const { modelJson, weightData } = await saveToMemory(tf, model);
    const graph = decodeTfjs(modelJson, weightData);
    const a: Dense = { data: randomData(12, 1), dims: [2, 6] };
    const b: Dense = { data: randomData(12, 2), dims: [2, 6] };
    const expected = tf.tidy(() =>
      (
        model.predict([tf.tensor(a.data, a.dims), tf.tensor(b.data, b.dims)]) as ReturnType<Tf['tensor']>[]
      ).map((t) => ({ data: Float32Array.from(t.dataSync()), dims: [...t.shape] })),
    );
    const actual = await runOrt(graph, { [graph.inputs[0].name]: a, [graph.inputs[1].name]: b });
    expect(actual).toHaveLength(2);
    expect(maxAbsDiff(actual[0], expected[0])).toBeLessThan(TOL);
    expect(maxAbsDiff(actual[1], expected[1])).toBeLessThan(TOL);
    expect(graph.nodes.filter((n) => n.opType === 'Gemm')).toHaveLength(2);
  });
});

describe('decodeTfjs: hand-written JSON dialects and bad input', () => {
  const f32 = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

  function denseJson(extra: Record<string, unknown> = {}) {
    return {
      format: 'layers-model',
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 's',
          layers: [
            {
              class_name: 'Dense',
              config: {
                name: 'd',
                units: 2,
                use_bias: true,
                activation: 'linear',
                batch_input_shape: [null, 3],
              },
            },
          ],
        },
      },
      weightsManifest: [
        {
          paths: ['group1-shard1of1.bin'],
          weights: [
            { name: 'd/kernel', shape: [3, 2], dtype: 'float32' },
            { name: 'd/bias', shape: [2], dtype: 'float32' },
          ],
        },
      ],
      ...extra,
    };
  }

  it('uint8- and float16-quantized weights are dequantized (q · scale + min)', async () => {
    const json = denseJson();
    json.weightsManifest[0].weights = [
      {
        name: 'd/kernel',
        shape: [3, 2],
        dtype: 'float32',
        quantization: { dtype: 'uint8', scale: 0.5, min: -1 },
      } as never,
      { name: 'd/bias', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } } as never,
    ];
    // kernel q = [0..5] → [-1, -0.5, 0, 0.5, 1, 1.5]; bias float16 [1, -2] = 0x3c00, 0xc000
    const data = new Uint8Array([0, 1, 2, 3, 4, 5, 0x00, 0x3c, 0x00, 0xc0]);
    const graph = decodeTfjs(json, data);
    const [y] = await runOrt(graph, {
      [graph.inputs[0].name]: { data: Float32Array.from([1, 2, 3]), dims: [1, 3] },
    });
    // x·K + b: col0 = 1·-1 + 2·0 + 3·1 + 1 = 3; col1 = 1·-0.5 + 2·0.5 + 3·1.5 - 2 = 3
    expect(Array.from(y.data)).toEqual([3, 3]);
  });

  it('int32 weights and Keras 3 names (layer/index) and functional Keras 3 inbound nodes', async () => {
    const json = {
      format: 'layers-model',
      modelTopology: {
        class_name: 'Functional',
        config: {
          name: 'f',
          layers: [
            {
              class_name: 'InputLayer',
              name: 'in',
              config: { name: 'in', batch_shape: [null, 2] },
              inbound_nodes: [],
            },
            {
              class_name: 'Dense',
              name: 'dense',
              config: {
                name: 'dense',
                units: 1,
                use_bias: true,
                activation: { class_name: 'relu', config: {} },
              },
              inbound_nodes: [
                {
                  args: [
                    {
                      class_name: '__keras_tensor__',
                      config: { shape: [null, 2], keras_history: ['in', 0, 0] },
                    },
                  ],
                  kwargs: {},
                },
              ],
            },
          ],
          input_layers: ['in', 0, 0],
          output_layers: ['dense', 0, 0],
        },
      },
      weightsManifest: [
        {
          paths: ['x.bin'],
          weights: [
            { name: 'dense/0', shape: [2, 1], dtype: 'int32' },
            { name: 'dense/1', shape: [1], dtype: 'float32' },
          ],
        },
      ],
    };
    const data = new Uint8Array([...new Uint8Array(Int32Array.from([2, -3]).buffer), ...f32([0.5])]);
    const graph = decodeTfjs(json, data);
    const [y] = await runOrt(graph, { in: { data: Float32Array.from([1, 1, 4, 1]), dims: [2, 2] } });
    expect(Array.from(y.data)).toEqual([0, 5.5]); // relu(2 - 3 + .5) = 0; relu(8 - 3 + .5) = 5.5
  });

  it('weight data shorter than the manifest: MC_ONNX_TRUNCATED naming the weight', () => {
    const err = catchError(() => decodeTfjs(denseJson(), f32([1, 2, 3, 4, 5, 6, 7]), { file: 'm.json' }));
    expect(isMetacompressError(err, 'MC_ONNX_TRUNCATED')).toBe(true);
    expect((err as Error).message).toContain("weight 'd/bias'");
    expect((err as Error).message).toContain('m.json');
  });

  it('an unsupported layer class: MC_UNSUPPORTED_OP naming the layer and its class', () => {
    const json = denseJson();
    (json.modelTopology.config.layers as unknown[]).push({
      class_name: 'LSTM',
      config: { name: 'lstm_1', units: 3 },
    });
    const err = catchError(() => decodeTfjs(json, f32([1, 2, 3, 4, 5, 6, 7, 8])));
    expect(isMetacompressError(err, 'MC_UNSUPPORTED_OP')).toBe(true);
    expect((err as { details: Record<string, unknown> }).details).toMatchObject({
      node: 'lstm_1',
      opType: 'LSTM',
    });
    expect((err as Error).message).toContain("node 'lstm_1' (LSTM)");
  });

  it('malformed JSON: MC_ONNX_DECODE; a graph model: MC_MODEL_INVALID; a missing weight: MC_MODEL_INVALID; wrong weight shape: MC_SHAPE_MISMATCH', () => {
    expect(
      isMetacompressError(
        catchError(() => decodeTfjs('{"format": "layers-model", ', new Uint8Array())),
        'MC_ONNX_DECODE',
      ),
    ).toBe(true);
    expect(
      isMetacompressError(
        catchError(() => decodeTfjs(denseJson({ format: 'graph-model' }), new Uint8Array())),
        'MC_MODEL_INVALID',
      ),
    ).toBe(true);
    const missing = denseJson();
    missing.weightsManifest[0].weights.pop();
    const e1 = catchError(() => decodeTfjs(missing, f32([1, 2, 3, 4, 5, 6])));
    expect(isMetacompressError(e1, 'MC_MODEL_INVALID')).toBe(true);
    expect((e1 as Error).message).toContain("no weight 'bias'");
    const wrong = denseJson();
    wrong.weightsManifest[0].weights[0].shape = [2, 3];
    const config = (wrong.modelTopology.config.layers[0] as { config: Record<string, unknown> }).config;
    config.batch_input_shape = [null, 3];
    expect(
      isMetacompressError(
        catchError(() => decodeTfjs(wrong, f32([1, 2, 3, 4, 5, 6, 7, 8]))),
        'MC_SHAPE_MISMATCH',
      ),
    ).toBe(true);
  });

  it('an absurd weight shape is refused before any allocation', () => {
    const json = denseJson();
    json.weightsManifest[0].weights[0].shape = [1 << 20, 1 << 20];
    expect(
      isMetacompressError(
        catchError(() => decodeTfjs(json, f32([1]))),
        'MC_TENSOR_TOO_LARGE',
      ),
    ).toBe(true);
  });

  it('an inbound reference to a layer that does not exist: MC_MODEL_INVALID', () => {
    const json = {
      modelTopology: {
        class_name: 'Model',
        config: {
          layers: [
            {
              class_name: 'InputLayer',
              name: 'in',
              config: { name: 'in', batch_input_shape: [null, 2] },
              inbound_nodes: [],
            },
            {
              class_name: 'Activation',
              name: 'act',
              config: { name: 'act', activation: 'relu' },
              inbound_nodes: [[['nowhere', 0, 0, {}]]],
            },
          ],
          input_layers: [['in', 0, 0]],
          output_layers: [['act', 0, 0]],
        },
      },
      weightsManifest: [],
    };
    const err = catchError(() => decodeTfjs(json, new Uint8Array()));
    expect(isMetacompressError(err, 'MC_MODEL_INVALID')).toBe(true);
    expect((err as Error).message).toContain('nowhere');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
