import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { DataType, dataTypeName } from '../dtype';
import type { Graph, Node, OpsetImport } from '../graph';
import { indexGraph } from '../graph-index';
import { inferShapes } from '../shape/infer-shapes';
import { createTensor, toFloat32, toNumbers, type Tensor } from '../tensor';
import { collectConstants } from '../coupling/constants';
import { dropUnused } from './cleanup';
import { NameAllocator } from './names';

/**
 * Quantization parameters for one tensor. A number `scale` quantizes per tensor; an array
 * quantizes per axis (`axis` required, opset ≥ 13). Zero points default to 0.
 *
 * @example
 * const act: QdqSpec = { tensor: 'relu1_out', scale: 0.02, zeroPoint: 0, dataType: 'uint8' };
 * const weight: QdqSpec = { tensor: 'conv1.weight', scale: [0.01, 0.02], axis: 0 };
 */
export interface QdqSpec {
  /** A value (node output or graph input) or a constant (initializer / Constant output). */
  tensor: string;
  scale: number | readonly number[];
  zeroPoint?: number | readonly number[];
  /** Integer type of the quantized tensor (default int8). */
  dataType?: 'int8' | 'uint8';
  /** Axis of a per-axis scale (negative counts from the end). */
  axis?: number;
}

/**
 * Options of {@link insertQdq}.
 *
 * @example
 * insertQdq(graph, specs, { weights: 'qdq' });
 */
export interface InsertQdqOptions {
  /**
   * How constants are quantized: `'dq'` (default) stores them as int8/uint8 initializers followed
   * by a DequantizeLinear (what onnxruntime's QDQ format uses for weights); `'qdq'` keeps the float
   * constant and inserts a QuantizeLinear/DequantizeLinear pair like for activations.
   */
  weights?: 'dq' | 'qdq';
}

const RANGE = { int8: [-128, 127], uint8: [0, 255] } as const;

/** Ops whose inputs/attributes changed between an opset and 13, with the version that changed them. */
const CHANGED_BY: Record<string, number> = {
  Split: 13,
  Squeeze: 13,
  Unsqueeze: 13,
  ReduceSum: 13,
  Softmax: 13,
  LogSoftmax: 13,
  Hardmax: 13,
  Pad: 11,
  Resize: 11,
  Clip: 11,
  Slice: 10,
  TopK: 10,
  Dropout: 12,
  Upsample: 10,
  BatchNormalization: 9,
  Scatter: 11,
  Gemm: 9,
  Flatten: 9,
  Add: 7,
  Sub: 7,
  Mul: 7,
  Div: 7,
  Pow: 7,
  Concat: 4,
  Reshape: 5,
  Cast: 6,
  MaxPool: 8,
};

function defaultOpset(graph: Graph): number {
  return graph.model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1;
}

/** Raises the default-domain opset to `needed`, refusing when an op of the graph changed meaning in between. */
function withOpset(graph: Graph, needed: number): Graph {
  const current = defaultOpset(graph);
  if (current >= needed) return graph;
  for (const node of graph.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') continue;
    const changed = CHANGED_BY[node.opType];
    if (changed !== undefined && changed > current && changed <= needed) {
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_OP,
        `Q/DQ insertion needs opset ${needed} but the graph imports opset ${current} and ${node.opType} changed in opset ${changed}; convert the model to opset ${needed} first`,
        { node: node.name, opType: node.opType, field: 'opset_import' },
      );
    }
  }
  const opsetImports: OpsetImport[] = graph.model.opsetImports.some(
    (o) => o.domain === '' || o.domain === 'ai.onnx',
  )
    ? graph.model.opsetImports.map((o) =>
        o.domain === '' || o.domain === 'ai.onnx' ? { ...o, version: needed } : o,
      )
    : [...graph.model.opsetImports, { domain: '', version: needed }];
  const irVersion = Math.max(graph.model.irVersion, needed >= 13 ? 7 : 5);
  return { ...graph, model: { ...graph.model, opsetImports, irVersion } };
}

function fail(message: string, spec: QdqSpec, field = 'tensor'): never {
  throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, message, {
    field: `qdq['${spec.tensor}'].${field}`,
  });
}

/**
 * Inserts QuantizeLinear→DequantizeLinear pairs on the given tensors (graph surgery only: the
 * quantize package computes the parameters). Readers of an activation then read the
 * DequantizeLinear output; a constant becomes an int8/uint8 initializer plus a DequantizeLinear
 * whose output keeps the constant's name (or a Q/DQ pair with `weights: 'qdq'`). Graph outputs stay
 * as they are (their readers inside the graph are rewired). Raises the opset to 13 for per-axis
 * parameters (10 otherwise) when needed. Pure: returns a new graph.
 *
 * @example
 * const q = insertQdq(graph, [
 *   { tensor: 'input', scale: 1 / 255, zeroPoint: 0, dataType: 'uint8' },
 *   { tensor: 'conv1.weight', scale: perChannelScales, axis: 0 },
 * ]);
 */
export function insertQdq(graph: Graph, specs: readonly QdqSpec[], options: InsertQdqOptions = {}): Graph {
  const weightsMode = options.weights ?? 'dq';
  const seen = new Set<string>();
  let needed = 10;
  for (const spec of specs) {
    if (!spec || typeof spec.tensor !== 'string')
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'each Q/DQ spec needs a tensor name', {
        field: 'qdq',
      });
    if (seen.has(spec.tensor)) fail(`tensor '${spec.tensor}' is listed twice`, spec);
    seen.add(spec.tensor);
    if (Array.isArray(spec.scale)) needed = 13;
  }
  if (specs.length === 0) return graph;
  let g = withOpset(graph, needed);
  const index = indexGraph(g);
  const constants = collectConstants(g);
  let shapes: ReturnType<typeof inferShapes> | undefined;
  const rankOf = (name: string): number | undefined => {
    const c = constants.get(name);
    if (c) return c.tensor.dims.length;
    if (!shapes) {
      try {
        shapes = inferShapes(g);
      } catch {
        shapes = new Map();
      }
    }
    return shapes.get(name)?.shape?.length;
  };
  const dimOf = (name: string, axis: number): number | undefined => {
    const c = constants.get(name);
    if (c) return c.tensor.dims[axis];
    const d = shapes?.get(name)?.shape?.[axis];
    return typeof d === 'number' ? d : undefined;
  };
  const names = new NameAllocator(g);
  const graphInputs = new Set(g.inputs.map((i) => i.name));
  const inserts: { before: number; nodes: Node[] }[] = [];
  const rewire = new Map<string, string>();
  const newInits: Tensor[] = [];
  const replacedConstants = new Set<string>();

  for (const spec of specs) {
    const name = spec.tensor;
    const c0 = constants.get(name);
    // Only a constant that holds its own data (not an Identity alias, not an overridable input) is stored quantized.
    const isConstant = c0 !== undefined && c0.base === name && !graphInputs.has(name);
    const exists = c0 !== undefined || graphInputs.has(name) || index.producer.has(name);
    if (!exists) fail(`no tensor '${name}' in the graph`, spec);
    const kind = spec.dataType ?? 'int8';
    if (kind !== 'int8' && kind !== 'uint8')
      fail(`dataType must be 'int8' or 'uint8', got '${String(kind)}'`, spec, 'dataType');
    const [lo, hi] = RANGE[kind];
    const perAxis = Array.isArray(spec.scale);
    const scales: number[] = perAxis ? [...(spec.scale as number[])] : [spec.scale as number];
    if (scales.length === 0 || scales.some((s) => !(typeof s === 'number' && Number.isFinite(s) && s > 0)))
      fail('scales must be finite positive numbers', spec, 'scale');
    const zp =
      spec.zeroPoint === undefined
        ? new Array<number>(scales.length).fill(0)
        : Array.isArray(spec.zeroPoint)
          ? [...spec.zeroPoint]
          : [spec.zeroPoint as number];
    if (zp.length !== scales.length)
      fail(`${zp.length} zero points for ${scales.length} scales`, spec, 'zeroPoint');
    if (zp.some((z) => !Number.isInteger(z) || z < lo || z > hi))
      fail(`zero points must be integers in [${lo}, ${hi}]`, spec, 'zeroPoint');
    let axis: number | undefined;
    if (perAxis) {
      if (spec.axis === undefined) fail('a per-axis scale needs an axis', spec, 'axis');
      const rank = rankOf(name);
      axis = spec.axis;
      if (rank !== undefined) {
        if (axis < 0) axis += rank;
        if (axis < 0 || axis >= rank) fail(`axis ${spec.axis} is outside rank ${rank}`, spec, 'axis');
        const d = dimOf(name, axis);
        if (d !== undefined && d !== scales.length)
          fail(`${scales.length} scales for ${d} elements on axis ${axis}`, spec, 'scale');
      } else if (axis < 0) fail(`negative axis ${axis} on a tensor of unknown rank`, spec, 'axis');
    }
    const qType = kind === 'int8' ? DataType.INT8 : DataType.UINT8;
    const scaleName = names.allocate(`${name}_scale`);
    const zpName = names.allocate(`${name}_zero_point`);
    const pdims = perAxis ? [scales.length] : [];
    newInits.push(
      createTensor(scaleName, DataType.FLOAT, pdims, scales),
      createTensor(zpName, qType, pdims, zp),
    );
    const attrs: Node['attributes'] = perAxis ? { axis: { type: 'int', value: axis! } } : {};
    const users = index.consumers.get(name) ?? [];
    const firstUser = users.length ? Math.min(...users.map((u) => index.position.get(u)!)) : g.nodes.length;

    if (isConstant && weightsMode === 'dq') {
      const c = constants.get(name)!;
      if (
        c.tensor.dataType !== DataType.FLOAT &&
        c.tensor.dataType !== DataType.FLOAT16 &&
        c.tensor.dataType !== DataType.DOUBLE
      ) {
        fail(`constant '${name}' is ${dataTypeName(c.tensor.dataType)}, not a float tensor`, spec);
      }
      const values = toFloat32(c.tensor);
      const dims = c.tensor.dims;
      let inner = 1;
      if (axis !== undefined) for (let i = axis + 1; i < dims.length; i++) inner *= dims[i];
      const q = new Float64Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const ch = axis === undefined ? 0 : Math.floor(i / inner) % scales.length;
        q[i] = Math.min(hi, Math.max(lo, Math.round(values[i] / scales[ch]) + zp[ch]));
      }
      const qName = names.allocate(`${name}_quantized`);
      newInits.push(createTensor(qName, qType, dims, Array.from(q)));
      // The DequantizeLinear output takes the constant's name: readers are unchanged.
      replacedConstants.add(name);
      inserts.push({
        before: firstUser,
        nodes: [
          {
            name: names.allocate(`${name}_DequantizeLinear`),
            opType: 'DequantizeLinear',
            domain: '',
            inputs: [qName, scaleName, zpName],
            outputs: [name],
            attributes: attrs,
          },
        ],
      });
      continue;
    }
    const qOut = names.allocate(`${name}_quantized`);
    const dqOut = names.allocate(`${name}_dequantized`);
    inserts.push({
      before: firstUser,
      nodes: [
        {
          name: names.allocate(`${name}_QuantizeLinear`),
          opType: 'QuantizeLinear',
          domain: '',
          inputs: [name, scaleName, zpName],
          outputs: [qOut],
          attributes: attrs,
        },
        {
          name: names.allocate(`${name}_DequantizeLinear`),
          opType: 'DequantizeLinear',
          domain: '',
          inputs: [qOut, scaleName, zpName],
          outputs: [dqOut],
          attributes: attrs,
        },
      ],
    });
    rewire.set(name, dqOut);
  }

  const nodes: Node[] = [];
  const byPosition = new Map<number, Node[]>();
  for (const ins of inserts)
    byPosition.set(ins.before, [...(byPosition.get(ins.before) ?? []), ...ins.nodes]);
  const constantNodeOutputs = new Set(
    [...replacedConstants].filter((n) => !g.initializers.some((t) => t.name === n)),
  );
  g.nodes.forEach((n, i) => {
    for (const q of byPosition.get(i) ?? []) nodes.push(q);
    // A Constant node replaced by its quantized form is dropped.
    if (n.opType === 'Constant' && constantNodeOutputs.has(n.outputs[0])) return;
    if (rewire.size && n.inputs.some((x) => rewire.has(x)))
      nodes.push({ ...n, inputs: n.inputs.map((x) => rewire.get(x) ?? x) });
    else nodes.push(n);
  });
  for (const q of byPosition.get(g.nodes.length) ?? []) nodes.push(q);
  // Constants that became DequantizeLinear outputs: their float initializers go, unless also a graph input.
  const initializers = g.initializers.filter((t) => !replacedConstants.has(t.name));
  g = { ...g, nodes, initializers: [...initializers, ...newInits] };
  return g;
}

function isPair(q: Node | undefined): q is Node {
  return q !== undefined && q.opType === 'QuantizeLinear' && (q.domain === '' || q.domain === 'ai.onnx');
}

/**
 * Removes quantization back to float: each QuantizeLinear→DequantizeLinear pair is bypassed
 * (readers of the DequantizeLinear read the QuantizeLinear's input again), and each
 * DequantizeLinear of a constant becomes a float constant with the DequantizeLinear's output name,
 * holding the dequantized values. Unused scales, zero points and quantized constants are dropped.
 * Pure: returns a new graph.
 *
 * @example
 * const float = stripQdq(insertQdq(graph, specs)); // same nodes as `graph` again
 */
export function stripQdq(graph: Graph): Graph {
  const index = indexGraph(graph);
  const constants = collectConstants(graph);
  const removed = new Set<Node>();
  const rewire = new Map<string, string>();
  const newInits: Tensor[] = [];
  const candidates = new Set<string>();
  const identities = new Map<Node, Node>();

  for (const dq of graph.nodes) {
    if (dq.opType !== 'DequantizeLinear' || (dq.domain !== '' && dq.domain !== 'ai.onnx')) continue;
    const out = dq.outputs[0];
    if (!out) continue;
    const source = dq.inputs[0];
    const q = index.producer.get(source);
    const scale = constants.get(dq.inputs[1]);
    if (isPair(q)) {
      const x = q.inputs[0];
      if (index.outputs.has(out))
        identities.set(dq, {
          name: dq.name,
          opType: 'Identity',
          domain: '',
          inputs: [x],
          outputs: [out],
          attributes: {},
        });
      else {
        removed.add(dq);
        rewire.set(out, x);
      }
      dq.inputs.slice(1).forEach((i) => i && candidates.add(i));
      const qUsers = index.consumers.get(source) ?? [];
      if (qUsers.every((u) => u.opType === 'DequantizeLinear') && !index.outputs.has(source)) {
        removed.add(q);
        q.inputs.slice(1).forEach((i) => i && candidates.add(i));
      }
      continue;
    }
    const base = constants.get(source);
    if (!base || !scale) continue;
    const zpConst = dq.inputs[2] ? constants.get(dq.inputs[2]) : undefined;
    if (dq.inputs[2] && !zpConst) continue;
    const blockSize = dq.attributes.block_size;
    if (blockSize?.type === 'int' && blockSize.value > 0) continue;
    const dims = base.tensor.dims;
    const qv = toNumbers(base.tensor);
    const sv = toFloat32(scale.tensor);
    const zv = zpConst ? toNumbers(zpConst.tensor) : undefined;
    let axis = dq.attributes.axis?.type === 'int' ? dq.attributes.axis.value : 1;
    if (axis < 0) axis += dims.length;
    const perAxis = sv.length > 1 || scale.tensor.dims.length === 1;
    let inner = 1;
    if (perAxis) for (let i = axis + 1; i < dims.length; i++) inner *= dims[i];
    const values = new Float32Array(qv.length);
    for (let i = 0; i < qv.length; i++) {
      const ch = perAxis ? Math.floor(i / inner) % sv.length : 0;
      values[i] = (Number(qv[i]) - (zv ? Number(zv[ch]) : 0)) * sv[ch];
    }
    const floatType =
      scale.tensor.dataType === DataType.FLOAT16 || scale.tensor.dataType === DataType.BFLOAT16
        ? scale.tensor.dataType
        : DataType.FLOAT;
    newInits.push(createTensor(out, floatType, dims, values));
    removed.add(dq);
    dq.inputs.forEach((i) => i && candidates.add(i));
  }
  if (removed.size === 0 && identities.size === 0) return graph;
  const resolve = (name: string): string => {
    let n = name;
    for (let k = 0; k < 64 && rewire.has(n); k++) n = rewire.get(n)!;
    return n;
  };
  const nodes = graph.nodes
    .filter((n) => !removed.has(n))
    .map((n) => identities.get(n) ?? n)
    .map((n) =>
      n.inputs.some((x) => rewire.has(x)) ? { ...n, inputs: n.inputs.map((x) => (x ? resolve(x) : x)) } : n,
    );
  const dropped = new Set<string>();
  for (const n of removed) for (const o of n.outputs) dropped.add(o);
  const out: Graph = {
    ...graph,
    nodes,
    initializers: [...graph.initializers, ...newInits],
    valueInfo: graph.valueInfo.filter((v) => !dropped.has(v.name) || newInits.some((t) => t.name === v.name)),
  };
  return dropUnused(out, candidates);
}
