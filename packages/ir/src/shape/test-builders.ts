/**
 * Test-only helpers that build IR graphs by hand (no ONNX file needed): a small fluent builder
 * with seeded weights, and two reference models (LeNet-5 and an MLP). Not exported from the
 * package; import from `src/shape/test-builders` in tests.
 */
import { createRng, type Rng } from '@metacompress/core';
import { DataType } from '../dtype';
import type { Attribute, Dim, Graph, Node, OpsetImport, ValueInfo } from '../graph';
import { createTensor, type Tensor } from '../tensor';

/** Attribute values the builder accepts: integers → int, other numbers → float, number[] → ints/floats. */
export type AttrValue = Attribute | number | readonly number[] | string | Tensor;

function toAttribute(v: AttrValue): Attribute {
  if (typeof v === 'number')
    return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (Array.isArray(v))
    return (v as number[]).every(Number.isInteger)
      ? { type: 'ints', value: [...v] }
      : { type: 'floats', value: [...v] };
  if (typeof v === 'object' && v !== null && 'dims' in v && 'dataType' in v)
    return { type: 'tensor', value: v as Tensor };
  return v as Attribute;
}

/** Options of {@link GraphBuilder}. */
export interface BuilderOptions {
  /** ONNX opset of the default domain (default 13). */
  opset?: number;
  /** Seed for weights (default 1). */
  seed?: number;
  name?: string;
  irVersion?: number;
  /** Extra opset imports, e.g. `[{ domain: 'com.microsoft', version: 1 }]`. */
  extraOpsets?: OpsetImport[];
}

/** Options of {@link GraphBuilder.conv}. */
export interface ConvSpec {
  inChannels: number;
  outChannels: number;
  kernel: number | readonly number[];
  strides?: readonly number[];
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
  autoPad?: string;
  bias?: boolean;
  name?: string;
}

/**
 * Builds a graph node by node with seeded weights.
 *
 * @example
 * const b = new GraphBuilder({ opset: 13 });
 * const x = b.input('x', ['N', 1, 28, 28]);
 * const y = b.relu(b.conv(x, { inChannels: 1, outChannels: 6, kernel: 5, pads: [2, 2, 2, 2] }));
 * b.output(y);
 * const graph = b.build();
 */
export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly valueInfo: ValueInfo[] = [];
  readonly initializers: Tensor[] = [];
  readonly rng: Rng;
  private counter = 0;
  private readonly names = new Set<string>();

  constructor(readonly options: BuilderOptions = {}) {
    this.rng = createRng(options.seed ?? 1);
  }

  /** A fresh name with the given prefix (registered as used). */
  fresh(prefix: string): string {
    const name = this.unique(prefix);
    this.names.add(name);
    return name;
  }

  /** A name with the given prefix not used yet (not registered). */
  unique(prefix: string): string {
    let name = prefix;
    while (this.names.has(name)) name = `${prefix}_${++this.counter}`;
    return name;
  }

  /** Declares a graph input. */
  input(name: string, shape: readonly Dim[] | undefined, dataType: number = DataType.FLOAT): string {
    this.names.add(name);
    this.inputs.push({ name, type: { kind: 'tensor', elemType: dataType, shape } });
    return name;
  }

  /** Declares a graph output (type and shape optional). */
  output(name: string, shape?: readonly Dim[], dataType: number = DataType.FLOAT): string {
    this.outputs.push({ name, type: { kind: 'tensor', elemType: dataType, shape } });
    return name;
  }

  /** Declares a value_info entry. */
  declare(name: string, shape: readonly Dim[] | undefined, dataType: number = DataType.FLOAT): void {
    this.valueInfo.push({ name, type: { kind: 'tensor', elemType: dataType, shape } });
  }

  /** Adds an initializer; float values default to seeded N(0, 0.1²). */
  initializer(name: string, dataType: number, dims: readonly number[], values?: readonly number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const v = values ?? Array.from({ length: n }, () => this.rng.normal() * 0.1);
    const fresh = this.fresh(name);
    this.initializers.push(createTensor(fresh, dataType, dims, [...v]));
    return fresh;
  }

  /** A float32 weight with seeded values. */
  weight(name: string, dims: readonly number[]): string {
    return this.initializer(name, DataType.FLOAT, dims);
  }

  /** An int64 initializer (shape targets, axes, indices); 1-D unless dims are given. Use bigints for ±2^63 sentinels. */
  int64(
    name: string,
    values: readonly (number | bigint)[],
    dims: readonly number[] = [values.length],
  ): string {
    const fresh = this.fresh(name);
    this.initializers.push(
      createTensor(
        fresh,
        DataType.INT64,
        dims,
        BigInt64Array.from(values, (v) => BigInt(v)),
      ),
    );
    return fresh;
  }

  /** Adds a node; returns its output names. */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    opts: { outputs?: number | readonly string[]; name?: string; domain?: string } = {},
  ): string[] {
    const name = this.fresh(opts.name ?? opType.toLowerCase());
    const outs = Array.isArray(opts.outputs)
      ? [...(opts.outputs as string[])]
      : Array.from({ length: (opts.outputs as number | undefined) ?? 1 }, (_, i) =>
          this.fresh(i === 0 ? `${name}_out` : `${name}_out${i}`),
        );
    const attributes: Record<string, Attribute> = {};
    for (const [k, v] of Object.entries(attrs)) attributes[k] = toAttribute(v);
    this.nodes.push({
      name,
      opType,
      domain: opts.domain ?? '',
      inputs: [...inputs],
      outputs: outs,
      attributes,
    });
    return outs;
  }

  /** Adds a single-output node; returns its output name. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    opts: { name?: string; domain?: string } = {},
  ): string {
    return this.node(opType, inputs, attrs, opts)[0];
  }

  /** Conv with seeded weight [outChannels, inChannels/group, k...] and bias. */
  conv(x: string, spec: ConvSpec): string {
    const kernel = typeof spec.kernel === 'number' ? [spec.kernel, spec.kernel] : [...spec.kernel];
    const group = spec.group ?? 1;
    const name = this.unique(spec.name ?? 'conv');
    const w = this.weight(`${name}.weight`, [spec.outChannels, spec.inChannels / group, ...kernel]);
    const inputs = [x, w];
    if (spec.bias ?? true) inputs.push(this.weight(`${name}.bias`, [spec.outChannels]));
    const attrs: Record<string, AttrValue> = { kernel_shape: kernel };
    if (spec.strides) attrs.strides = spec.strides;
    if (spec.pads) attrs.pads = spec.pads;
    if (spec.dilations) attrs.dilations = spec.dilations;
    if (group !== 1) attrs.group = group;
    if (spec.autoPad) attrs.auto_pad = spec.autoPad;
    return this.op('Conv', inputs, attrs, { name });
  }

  /** Gemm y = x·Wᵀ + b with W [out, in] (PyTorch Linear layout, transB = 1). */
  gemm(x: string, spec: { inFeatures: number; outFeatures: number; bias?: boolean; name?: string }): string {
    const name = this.unique(spec.name ?? 'gemm');
    const w = this.weight(`${name}.weight`, [spec.outFeatures, spec.inFeatures]);
    const inputs = [x, w];
    if (spec.bias ?? true) inputs.push(this.weight(`${name}.bias`, [spec.outFeatures]));
    return this.op('Gemm', inputs, { transB: 1 }, { name });
  }

  /** BatchNormalization with seeded scale/bias/mean and positive variance. */
  batchNorm(x: string, channels: number, name = this.unique('bn')): string {
    const scale = this.weight(`${name}.scale`, [channels]);
    const bias = this.weight(`${name}.bias`, [channels]);
    const mean = this.weight(`${name}.mean`, [channels]);
    const variance = this.initializer(
      `${name}.var`,
      DataType.FLOAT,
      [channels],
      Array.from({ length: channels }, () => 0.5 + this.rng.next()),
    );
    return this.op('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: 1e-5 }, { name });
  }

  relu(x: string): string {
    return this.op('Relu', [x]);
  }

  maxPool(
    x: string,
    kernel: number,
    strides = [kernel, kernel],
    extra: Record<string, AttrValue> = {},
  ): string {
    return this.op('MaxPool', [x], { kernel_shape: [kernel, kernel], strides, ...extra });
  }

  flatten(x: string, axis = 1): string {
    return this.op('Flatten', [x], { axis });
  }

  reshape(x: string, target: readonly number[]): string {
    return this.op('Reshape', [x, this.int64('shape', target)]);
  }

  /**
   * The flatten PyTorch emits for `x.view(x.size(0), -1)` at opset 13:
   * Shape → Gather(0) → Unsqueeze(0) → Concat(·, [-1]) → Reshape.
   */
  pytorchFlatten(x: string): string {
    const shape = this.op('Shape', [x]);
    const zero = this.op('Constant', [], { value: createTensor(this.fresh('c0'), DataType.INT64, [], [0]) });
    const batch = this.op('Gather', [shape, zero], { axis: 0 });
    const opset = this.options.opset ?? 13;
    const unsq =
      opset >= 13
        ? this.op('Unsqueeze', [batch, this.int64('axes', [0])])
        : this.op('Unsqueeze', [batch], { axes: [0] });
    const minusOne = this.op('Constant', [], {
      value: createTensor(this.fresh('cm1'), DataType.INT64, [1], [-1]),
    });
    const target = this.op('Concat', [unsq, minusOne], { axis: 0 });
    return this.op('Reshape', [x, target]);
  }

  /** The graph built so far. */
  build(): Graph {
    const opset = this.options.opset ?? 13;
    return {
      name: this.options.name ?? 'test',
      nodes: [...this.nodes],
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      valueInfo: [...this.valueInfo],
      initializers: [...this.initializers],
      model: {
        irVersion: this.options.irVersion ?? 8,
        opsetImports: [{ domain: '', version: opset }, ...(this.options.extraOpsets ?? [])],
        producerName: 'metacompress-test-builder',
        metadataProps: [],
      },
    };
  }
}

/**
 * LeNet-5 as in the cost-model tests: conv 1→6 5×5 pad 2, ReLU, max-pool 2, conv 6→16 5×5, ReLU,
 * max-pool 2, flatten (ONNX Flatten or PyTorch's Shape/Gather/Concat/Reshape), fc 400→120→84→10.
 *
 * @example
 * const graph = lenet5({ flatten: 'pytorch' });
 */
export function lenet5(options: BuilderOptions & { flatten?: 'onnx' | 'pytorch'; batch?: Dim } = {}): Graph {
  const b = new GraphBuilder(options);
  const x = b.input('input', [options.batch ?? 'N', 1, 28, 28]);
  let h = b.maxPool(
    b.relu(b.conv(x, { inChannels: 1, outChannels: 6, kernel: 5, pads: [2, 2, 2, 2], name: 'conv1' })),
    2,
  );
  h = b.maxPool(b.relu(b.conv(h, { inChannels: 6, outChannels: 16, kernel: 5, name: 'conv2' })), 2);
  h = options.flatten === 'pytorch' ? b.pytorchFlatten(h) : b.flatten(h);
  h = b.relu(b.gemm(h, { inFeatures: 400, outFeatures: 120, name: 'fc1' }));
  h = b.relu(b.gemm(h, { inFeatures: 120, outFeatures: 84, name: 'fc2' }));
  h = b.gemm(h, { inFeatures: 84, outFeatures: 10, name: 'fc3' });
  b.output(h, [options.batch ?? 'N', 10]);
  return b.build();
}

/**
 * A multilayer perceptron of Gemm + ReLU layers, e.g. `mlp([784, 300, 100, 10])`.
 *
 * @example
 * const graph = mlp([784, 300, 100, 10]);
 */
export function mlp(sizes: readonly number[], options: BuilderOptions = {}): Graph {
  const b = new GraphBuilder(options);
  let h = b.input('input', ['N', sizes[0]]);
  for (let i = 1; i < sizes.length; i++) {
    h = b.gemm(h, { inFeatures: sizes[i - 1], outFeatures: sizes[i], name: `fc${i}` });
    if (i < sizes.length - 1) h = b.relu(h);
  }
  b.output(h, ['N', sizes[sizes.length - 1]]);
  return b.build();
}
