import { DataType } from '../dtype';
import type { Attribute, Dim, Graph, GraphBody, Node, ValueInfo } from '../graph';
import { initializersOverridable, inferShapes } from '../shape/infer-shapes';
import { dimsProduct, staticShape, type ValueShape } from '../shape/value-shape';
import { createTensor, type Tensor } from '../tensor';
import { tensorBytes } from '../cost/cost-of';

/**
 * Options of {@link foldConstants}.
 *
 * @example
 * foldConstants(graph, { maxElements: 1 << 16 });
 */
export interface FoldOptions {
  /** Largest tensor (elements) folding computes (default 4096). Data-movement ops on initializers of any size are folded by sharing bytes. */
  maxElements?: number;
  /** Outputs up to this many elements are always folded; larger ones only when storage does not grow (default 64). */
  smallElements?: number;
  /** The model file, named in error details. */
  file?: string;
}

/** Ops never folded: quantization is deliberate storage, random ops are not constant. */
const NEVER_FOLD = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
]);

/** Ops whose output holds the input's bytes unchanged (folded by sharing the initializer's bytes). */
const DATA_MOVEMENT = new Set(['Identity', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten']);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function clampBig(v: number, lo: bigint, hi: bigint): bigint {
  if (!Number.isFinite(v)) return v > 0 ? hi : lo;
  const b = BigInt(Math.trunc(v));
  return b < lo ? lo : b > hi ? hi : b;
}

/** A tensor of `dataType` holding `values` (int64 saturating, so INT64_MAX sentinels survive). */
function tensorFromValues(
  name: string,
  dataType: number,
  dims: readonly number[],
  values: readonly number[],
): Tensor | undefined {
  if (dataType === DataType.INT64)
    return createTensor(
      name,
      dataType,
      dims,
      BigInt64Array.from(values, (v) => clampBig(v, INT64_MIN, INT64_MAX)),
    );
  if (dataType === DataType.UINT64)
    return createTensor(
      name,
      dataType,
      dims,
      BigUint64Array.from(values, (v) => clampBig(v, 0n, UINT64_MAX)),
    );
  try {
    return createTensor(name, dataType, dims, [...values]);
  } catch {
    return undefined; // a type createTensor cannot write (string, float8...)
  }
}

function constantNodeTensor(node: Node): Tensor | undefined {
  const name = node.outputs[0];
  const enc = new TextEncoder();
  for (const [k, a] of Object.entries(node.attributes) as [string, Attribute][]) {
    if (k === 'value' && a.type === 'tensor') {
      const { name: _old, ...rest } = a.value;
      return { ...rest, name };
    }
    if (k === 'value_float' && a.type === 'float') return createTensor(name, DataType.FLOAT, [], [a.value]);
    if (k === 'value_floats' && a.type === 'floats')
      return createTensor(name, DataType.FLOAT, [a.value.length], [...a.value]);
    if (k === 'value_int' && a.type === 'int') return tensorFromValues(name, DataType.INT64, [], [a.value]);
    if (k === 'value_ints' && a.type === 'ints')
      return tensorFromValues(name, DataType.INT64, [a.value.length], a.value);
    if (k === 'value_string' && a.type === 'string')
      return { name, dataType: DataType.STRING, dims: [], strings: [enc.encode(a.value)] };
    if (k === 'value_strings' && a.type === 'strings')
      return {
        name,
        dataType: DataType.STRING,
        dims: [a.value.length],
        strings: a.value.map((s) => enc.encode(s)),
      };
  }
  return undefined; // sparse_value: left as a node
}

/** Names read inside nested graphs (If/Loop/Scan bodies), which may refer to outer values. */
function subgraphReads(nodes: readonly Node[], into: Set<string>): Set<string> {
  for (const node of nodes) {
    for (const a of Object.values(node.attributes)) {
      const bodies: readonly GraphBody[] =
        a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const body of bodies) {
        for (const n of body.nodes) for (const i of n.inputs) if (i) into.add(i);
        for (const o of body.outputs) into.add(o.name);
        subgraphReads(body.nodes, into);
      }
    }
  }
  return into;
}

function hasSubgraph(node: Node): boolean {
  return Object.values(node.attributes).some((a) => a.type === 'graph' || a.type === 'graphs');
}

/** Liveness by a backward pass: a node lives when it is forced or any of its outputs is needed. */
function liveNodes(
  nodes: readonly Node[],
  roots: Set<string>,
  forced: (node: Node, i: number) => boolean,
): boolean[] {
  const needed = new Set(roots);
  const live = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (forced(node, i) || node.outputs.some((o) => o && needed.has(o))) {
      live[i] = true;
      for (const input of node.inputs) if (input) needed.add(input);
    }
  }
  return live;
}

/**
 * Turns a Reshape target known up to symbols (e.g. `['N', -1]` from PyTorch's
 * Shape → Gather → Unsqueeze → Concat) into a literal: a symbol equal to the input's dim at the same
 * position becomes 0 (copy, when allowzero is 0), one remaining unknown becomes -1.
 */
function literalTarget(
  target: readonly Dim[],
  input: readonly Dim[] | undefined,
  allowZero: boolean,
): number[] | undefined {
  let inferred = target.some((d) => d === -1) ? 1 : 0;
  const out: number[] = [];
  for (let i = 0; i < target.length; i++) {
    const d = target[i];
    if (typeof d === 'number') {
      out.push(d);
    } else if (!allowZero && d !== null && input && i < input.length && input[i] === d) {
      out.push(0);
    } else {
      if (++inferred > 1) return undefined;
      out.push(-1);
    }
  }
  return out;
}

/**
 * Folds constant subgraphs into initializers and returns a new graph (the input is never mutated;
 * unchanged nodes, tensors and value infos are shared):
 * - Constant nodes become initializers (bytes kept exactly);
 * - nodes whose outputs shape inference knows completely — ops on initializers, Shape/Size of
 *   statically shaped tensors and what is computed from them — become initializers, as long as they
 *   are small (≤ `smallElements`) or folding does not grow storage;
 * - Reshape targets known up to a symbolic batch dim (the Shape → Gather → Unsqueeze → Concat →
 *   Reshape pattern PyTorch emits for `x.view(x.size(0), -1)`) become literals such as `[0, -1]`;
 * - nodes and initializers only those folded nodes needed are removed (dead code that was already
 *   in the graph is left alone).
 * Graph outputs are never folded away, QuantizeLinear/DequantizeLinear are kept (they are
 * deliberate storage), and declared value_info is not trusted, so the folded graph computes the same
 * outputs. Float math on constants is done in float64 and rounded to the element type (exact for
 * + − × ÷ and sqrt; transcendental ops may differ from a runtime by one ulp).
 *
 * @example
 * const folded = foldConstants(graph);
 * folded.nodes.find((n) => n.opType === 'Reshape')?.inputs[1]; // now an initializer holding [0, -1]
 */
export function foldConstants(graph: Graph, options: FoldOptions = {}): Graph {
  const maxElements = options.maxElements ?? 4096;
  const small = options.smallElements ?? 64;
  const shapes = inferShapes(graph, {
    maxValueElements: maxElements,
    file: options.file,
    useValueInfo: false,
  });
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const overridable = initializersOverridable(graph);
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  const tensors = new Map<string, Tensor>();
  for (const t of graph.initializers) if (!(overridable && inputNames.has(t.name))) tensors.set(t.name, t);
  const originalInit = new Set(graph.initializers.map((t) => t.name));
  const nested = subgraphReads(graph.nodes, new Set());
  const consumers = new Map<string, number>();
  for (const node of graph.nodes)
    for (const i of new Set(node.inputs)) if (i) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  for (const n of nested) consumers.set(n, (consumers.get(n) ?? 0) + 1);

  const created = new Map<string, Tensor>();
  const folded = new Set<Node>();
  const replaced = new Map<Node, Node>();
  const usedNames = new Set<string>([
    ...graph.inputs.map((i) => i.name),
    ...graph.initializers.map((t) => t.name),
    ...graph.nodes.flatMap((n) => n.outputs),
  ]);
  const freshName = (base: string): string => {
    let name = base;
    for (let k = 1; usedNames.has(name); k++) name = `${base}_${k}`;
    usedNames.add(name);
    return name;
  };

  for (const node of graph.nodes) {
    const standard = node.domain === '' || node.domain === 'ai.onnx';
    if (!standard || NEVER_FOLD.has(node.opType) || hasSubgraph(node) || node.outputs.length === 0) continue;
    if (node.outputs.some((o) => o && outputs.has(o))) continue;
    if (node.opType === 'Constant') {
      const t = constantNodeTensor(node);
      if (!t) continue;
      created.set(t.name, t);
      tensors.set(t.name, t);
      folded.add(node);
      continue;
    }
    const outs = node.outputs.filter(Boolean).map((name) => ({ name, v: shapes.get(name) }));
    const made = foldNode(node, outs, tensors);
    if (made && allowed(node, made, tensors, consumers, small)) {
      for (const t of made) {
        created.set(t.name, t);
        tensors.set(t.name, t);
      }
      folded.add(node);
      continue;
    }
    if (node.opType === 'Reshape' && node.inputs[1] && !tensors.has(node.inputs[1])) {
      const target = shapes.get(node.inputs[1])?.symbolic;
      const literal =
        target &&
        literalTarget(target, shapes.get(node.inputs[0])?.shape, node.attributes.allowzero?.value === 1);
      if (literal) {
        const name = freshName(`${node.name || node.outputs[0]}_shape`);
        const t = tensorFromValues(name, DataType.INT64, [literal.length], literal)!;
        created.set(name, t);
        replaced.set(node, { ...node, inputs: [node.inputs[0], name, ...node.inputs.slice(2)] });
      }
    }
  }
  if (folded.size === 0 && replaced.size === 0) return { ...graph };

  const roots = new Set([...outputs, ...nested]);
  const originalLive = liveNodes(graph.nodes, roots, () => false);
  const candidates = graph.nodes.filter((n) => !folded.has(n)).map((n) => replaced.get(n) ?? n);
  const originalIndex = new Map(graph.nodes.map((n, i) => [replaced.get(n) ?? n, i]));
  const live = liveNodes(candidates, roots, (n) => !originalLive[originalIndex.get(n)!]);
  const nodes = candidates.filter((_, i) => live[i]);

  const referenced = new Set<string>([...roots]);
  for (const n of nodes) for (const i of n.inputs) if (i) referenced.add(i);
  const everReferenced = new Set<string>([...roots, ...graph.nodes.flatMap((n) => n.inputs)]);
  const keepOriginal = (t: Tensor): boolean =>
    referenced.has(t.name) || !everReferenced.has(t.name) || (overridable && inputNames.has(t.name));
  const initializers = [
    ...graph.initializers.filter(keepOriginal),
    ...[...created.values()].filter((t) => referenced.has(t.name)),
  ];
  const dropped = new Set(graph.initializers.filter((t) => !keepOriginal(t)).map((t) => t.name));
  let inputs: readonly ValueInfo[] = graph.inputs;
  if (!overridable) {
    // IR < 4 lists initializers among inputs: keep the two lists consistent
    inputs = graph.inputs.filter((i) => !dropped.has(i.name));
    for (const t of initializers) {
      if (!originalInit.has(t.name))
        inputs = [
          ...inputs,
          { name: t.name, type: { kind: 'tensor', elemType: t.dataType, shape: [...t.dims] } },
        ];
    }
  }
  const defined = new Set<string>([
    ...inputs.map((i) => i.name),
    ...initializers.map((t) => t.name),
    ...nodes.flatMap((n) => n.outputs),
  ]);
  const valueInfo = graph.valueInfo.filter((v) => defined.has(v.name));
  return { ...graph, nodes, inputs, initializers, valueInfo };
}

/** The initializers replacing a node's outputs, or undefined when some output is not fully known. */
function foldNode(
  node: Node,
  outs: readonly { name: string; v: ValueShape | undefined }[],
  tensors: Map<string, Tensor>,
): Tensor[] | undefined {
  const made: Tensor[] = [];
  for (const { name, v } of outs) {
    const dims = staticShape(v);
    if (!v || !dims) return undefined;
    const source = tensors.get(node.inputs[0]);
    if (
      DATA_MOVEMENT.has(node.opType) &&
      source?.raw &&
      source.dataType === v.dataType &&
      dimsProduct(source.dims) === dimsProduct(dims)
    ) {
      made.push({ name, dataType: source.dataType, dims: [...dims], raw: source.raw });
      continue;
    }
    if (!v.value || v.value.length !== dimsProduct(dims)) return undefined;
    const t = tensorFromValues(name, v.dataType, dims, v.value);
    if (!t) return undefined;
    made.push(t);
  }
  return made;
}

/** Small outputs always fold; larger ones only when their constant inputs die with them and storage does not grow. */
function allowed(
  node: Node,
  made: readonly Tensor[],
  tensors: Map<string, Tensor>,
  consumers: Map<string, number>,
  small: number,
): boolean {
  const outElements = made.reduce((a, t) => a + (dimsProduct(t.dims) ?? 0), 0);
  if (outElements <= small) return true;
  let freed = 0;
  for (const i of new Set(node.inputs)) {
    const t = i ? tensors.get(i) : undefined;
    if (!t) continue;
    if ((consumers.get(i) ?? 0) > 1 && (dimsProduct(t.dims) ?? 0) > small) return false;
    if ((consumers.get(i) ?? 0) <= 1) freed += tensorBytes(t);
  }
  return made.reduce((a, t) => a + tensorBytes(t), 0) <= freed;
}
