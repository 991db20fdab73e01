/**
 * Test-only builders of small graphs (ResNet-style block, VGG-BN, MobileNetV2 inverted residual,
 * MLP, Concat/Split, Flatten→Gemm). Not exported from the package.
 */
import { createRng, type Rng } from '@metacompress/core';
import { DataType } from '../dtype';
import type { Attribute, Dim, Graph, Node, ValueInfo } from '../graph';
import { createTensor, type Tensor } from '../tensor';

type AttrValue = number | string | readonly number[] | Tensor;

function toAttr(v: AttrValue): Attribute {
  if (typeof v === 'number')
    return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (Array.isArray(v)) return { type: 'ints', value: v as number[] };
  return { type: 'tensor', value: v as Tensor };
}

/** A tiny fluent builder of top-level graphs with seeded random weights. */
export class TestGraph {
  readonly nodes: Node[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers: Tensor[] = [];
  readonly rng: Rng;
  private counter = 0;

  constructor(
    readonly opset = 13,
    seed = 1,
  ) {
    this.rng = createRng(seed);
  }

  input(name: string, shape: readonly Dim[]): string {
    this.inputs.push({ name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape } });
    return name;
  }

  output(name: string, shape?: readonly Dim[]): void {
    this.outputs.push({
      name,
      type: { kind: 'tensor', elemType: DataType.FLOAT, ...(shape ? { shape } : {}) },
    });
  }

  /** A float initializer with random values in [-scale, scale) (or given values). */
  init(
    name: string,
    dims: readonly number[],
    values?: readonly number[] | ((i: number) => number),
    scale = 0.5,
  ): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      data[i] = Array.isArray(values)
        ? values[i]
        : typeof values === 'function'
          ? values(i)
          : (this.rng.next() * 2 - 1) * scale;
    }
    this.initializers.push(createTensor(name, DataType.FLOAT, dims, data));
    return name;
  }

  ints(name: string, values: readonly number[]): string {
    this.initializers.push(createTensor(name, DataType.INT64, [values.length], [...values]));
    return name;
  }

  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    name?: string,
    outputs: number | readonly string[] = 1,
  ): string[] {
    const nodeName = name ?? `${opType.toLowerCase()}${this.counter++}`;
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) =>
            outputs === 1 ? `${nodeName}_out` : `${nodeName}_out${i}`,
          )
        : [...outputs];
    this.nodes.push({
      name: nodeName,
      opType,
      domain: '',
      inputs: [...inputs],
      outputs: outs,
      attributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, toAttr(v)])),
    });
    return outs;
  }

  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    name?: string,
  ): string {
    return this.node(opType, inputs, attrs, name)[0];
  }

  conv(
    x: string,
    cin: number,
    cout: number,
    name: string,
    o: { k?: number; stride?: number; group?: number; bias?: boolean } = {},
  ): string {
    const k = o.k ?? 3;
    const group = o.group ?? 1;
    const w = this.init(`${name}.weight`, [cout, cin / group, k, k]);
    const inputs = [x, w];
    if (o.bias !== false) inputs.push(this.init(`${name}.bias`, [cout]));
    const pad = Math.floor(k / 2);
    return this.op(
      'Conv',
      inputs,
      { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [o.stride ?? 1, o.stride ?? 1], group },
      name,
    );
  }

  bn(x: string, c: number, name: string): string {
    const scale = this.init(`${name}.scale`, [c], (i) => 0.5 + ((i * 7) % 5) / 5);
    const bias = this.init(`${name}.bias`, [c]);
    const mean = this.init(`${name}.mean`, [c], undefined, 0.2);
    const variance = this.init(`${name}.var`, [c], (i) => 0.5 + ((i * 3) % 4) / 4);
    return this.op('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: 1e-5 }, name);
  }

  relu(x: string, name?: string): string {
    return this.op('Relu', [x], {}, name);
  }

  gemm(x: string, k: number, n: number, name: string): string {
    const w = this.init(`${name}.weight`, [n, k]);
    const b = this.init(`${name}.bias`, [n]);
    return this.op('Gemm', [x, w, b], { transB: 1 }, name);
  }

  build(): Graph {
    return {
      name: 'test',
      nodes: this.nodes,
      inputs: this.inputs,
      outputs: this.outputs,
      valueInfo: [],
      initializers: this.initializers,
      model: {
        irVersion: 8,
        opsetImports: [{ domain: '', version: this.opset }],
        metadataProps: [],
        producerName: 'test',
      },
    };
  }
}

/**
 * ResNet-style: stem conv-BN-ReLU (8 ch), a basic block with identity shortcut, a downsampling
 * block (16 ch, stride 2) with a 1×1 conv-BN shortcut, global average pool, flatten, fc (10).
 * Input [N, 3, 8, 8].
 */
export function resnetBlockGraph(): Graph {
  const g = new TestGraph();
  const x = g.input('input', ['N', 3, 8, 8]);
  const stem = g.relu(g.bn(g.conv(x, 3, 8, 'stem', { bias: false }), 8, 'stem_bn'), 'stem_relu');
  const a1 = g.relu(g.bn(g.conv(stem, 8, 8, 'b1_conv1', { bias: false }), 8, 'b1_bn1'), 'b1_relu1');
  const a2 = g.bn(g.conv(a1, 8, 8, 'b1_conv2', { bias: false }), 8, 'b1_bn2');
  const s1 = g.relu(g.op('Add', [a2, stem], {}, 'b1_add'), 'b1_relu2');
  const c1 = g.relu(
    g.bn(g.conv(s1, 8, 16, 'b2_conv1', { stride: 2, bias: false }), 16, 'b2_bn1'),
    'b2_relu1',
  );
  const c2 = g.bn(g.conv(c1, 16, 16, 'b2_conv2', { bias: false }), 16, 'b2_bn2');
  const sc = g.bn(g.conv(s1, 8, 16, 'b2_down', { k: 1, stride: 2, bias: false }), 16, 'b2_down_bn');
  const s2 = g.relu(g.op('Add', [c2, sc], {}, 'b2_add'), 'b2_relu2');
  const pooled = g.op('GlobalAveragePool', [s2], {}, 'gap');
  const flat = g.op('Flatten', [pooled], { axis: 1 }, 'flatten');
  g.node('Gemm', [flat, g.init('fc.weight', [10, 16]), g.init('fc.bias', [10])], { transB: 1 }, 'fc', [
    'logits',
  ]);
  g.output('logits', ['N', 10]);
  return g.build();
}

/** VGG with BatchNorm: two conv-BN-ReLU, maxpool, conv-BN-ReLU, maxpool, flatten (16×2×2), fc 32, ReLU, fc 10. Input [N, 3, 8, 8]. */
export function vggBnGraph(): Graph {
  const g = new TestGraph();
  const x = g.input('input', ['N', 3, 8, 8]);
  let h = g.relu(g.bn(g.conv(x, 3, 8, 'conv1'), 8, 'bn1'), 'relu1');
  h = g.relu(g.bn(g.conv(h, 8, 8, 'conv2'), 8, 'bn2'), 'relu2');
  h = g.op('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1');
  h = g.relu(g.bn(g.conv(h, 8, 16, 'conv3'), 16, 'bn3'), 'relu3');
  h = g.op('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool2');
  h = g.op('Flatten', [h], { axis: 1 }, 'flatten');
  h = g.relu(g.gemm(h, 64, 32, 'fc1'), 'relu4');
  g.node('Gemm', [h, g.init('fc2.weight', [10, 32]), g.init('fc2.bias', [10])], { transB: 1 }, 'fc2', [
    'logits',
  ]);
  g.output('logits', ['N', 10]);
  return g.build();
}

/**
 * MobileNetV2-style: stem conv-BN-ReLU6 (8 ch), an inverted residual (1×1 expand to 24, depthwise
 * 3×3, 1×1 project to 8, residual add), a conv 8→16, GAP, flatten, fc 10. ReLU6 is Clip(0, 6).
 */
export function mobilenetV2Graph(): Graph {
  const g = new TestGraph();
  const lo = g.init('clip_min', [], [0]);
  const hi = g.init('clip_max', [], [6]);
  const relu6 = (x: string, name: string): string => g.op('Clip', [x, lo, hi], {}, name);
  const x = g.input('input', ['N', 3, 8, 8]);
  const stem = relu6(g.bn(g.conv(x, 3, 8, 'stem', { bias: false }), 8, 'stem_bn'), 'stem_relu6');
  const e = relu6(
    g.bn(g.conv(stem, 8, 24, 'expand', { k: 1, bias: false }), 24, 'expand_bn'),
    'expand_relu6',
  );
  const d = relu6(g.bn(g.conv(e, 24, 24, 'dw', { group: 24, bias: false }), 24, 'dw_bn'), 'dw_relu6');
  const p = g.bn(g.conv(d, 24, 8, 'project', { k: 1, bias: false }), 8, 'project_bn');
  const r = g.op('Add', [stem, p], {}, 'res_add');
  const h = relu6(g.bn(g.conv(r, 8, 16, 'head', { k: 1, bias: false }), 16, 'head_bn'), 'head_relu6');
  const pooled = g.op('GlobalAveragePool', [h], {}, 'gap');
  const flat = g.op('Flatten', [pooled], { axis: 1 }, 'flatten');
  g.node('Gemm', [flat, g.init('fc.weight', [10, 16]), g.init('fc.bias', [10])], { transB: 1 }, 'fc', [
    'logits',
  ]);
  g.output('logits', ['N', 10]);
  return g.build();
}

/** MLP 20-16-12-4 with Gemm (transB=1) + ReLU, PyTorch-style. */
export function mlpGraph(): Graph {
  const g = new TestGraph();
  const x = g.input('input', ['N', 20]);
  const h1 = g.relu(g.gemm(x, 20, 16, 'fc1'), 'relu1');
  const h2 = g.relu(g.gemm(h1, 16, 12, 'fc2'), 'relu2');
  g.node('Gemm', [h2, g.init('fc3.weight', [4, 12]), g.init('fc3.bias', [4])], { transB: 1 }, 'fc3', [
    'logits',
  ]);
  g.output('logits', ['N', 4]);
  return g.build();
}
