import { ErrorCodes, MetacompressError } from '@metacompress/core';
import {
  attrFloat,
  attrInt,
  createTensor,
  DataType,
  toFloat32,
  type Graph,
  type Node,
  type Tensor,
} from '@metacompress/ir';
import { int, Names, op } from './graph-names';
import { checkFinite, quantizeWeight } from './weight-quantizers';

/** Options of {@link quantizeDynamic}. */
export interface DynamicQuantizeOptions {
  /** Weight type: `uint8` (asymmetric per column, default; onnxruntime-web's fast path) or `int8` (symmetric). */
  weightType?: 'uint8' | 'int8';
}

/**
 * Dynamic quantization of Gemm/MatMul nodes with a constant 2-D weight: the activation is
 * quantized at run time by DynamicQuantizeLinear (uint8, its own range per batch), multiplied by
 * the stored 8-bit weight with MatMulInteger, and rescaled by `x_scale · w_scale` per output column
 * (the graph onnxruntime's quantizer writes and fuses into DynamicQuantizeMatMul). No calibration
 * data is needed. Gemm weights are stored transposed to `[K, N]`. Pure.
 *
 * @example
 * const dyn = quantizeDynamic(graph, graph.nodes.filter((n) => n.opType === 'Gemm'));
 */
export function quantizeDynamic(
  graph: Graph,
  nodes: readonly Node[],
  options: DynamicQuantizeOptions = {},
): Graph {
  if (nodes.length === 0) return graph;
  const weightType = options.weightType ?? 'uint8';
  const names = new Names(graph);
  const inits = new Map(graph.initializers.map((t) => [t.name, t] as const));
  const replacement = new Map<Node, Node[]>();
  const newInits: Tensor[] = [];
  for (const node of nodes) {
    const where = { node: node.name, opType: node.opType };
    const w = inits.get(node.inputs[1] ?? '');
    const isGemm = node.opType === 'Gemm';
    if (!w || w.dataType !== DataType.FLOAT || w.dims.length !== 2 || (!isGemm && node.opType !== 'MatMul')) {
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_OP,
        'dynamic quantization needs a Gemm or MatMul with a constant 2-D float weight',
        where,
      );
    }
    if (
      isGemm &&
      (attrInt(node, 'transA', 0) !== 0 ||
        attrFloat(node, 'alpha', 1) !== 1 ||
        attrFloat(node, 'beta', 1) !== 1)
    ) {
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_OP,
        'dynamic quantization needs Gemm with transA = 0 and alpha = beta = 1',
        where,
      );
    }
    const values = toFloat32(w);
    checkFinite(values, { ...where, field: w.name });
    // MatMulInteger wants B as [K, N]; Gemm with transB = 1 stores [N, K].
    let kn = values;
    let [k, n] = w.dims;
    if (isGemm && attrInt(node, 'transB', 0)) {
      [n, k] = w.dims;
      kn = new Float32Array(values.length);
      for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) kn[c * n + r] = values[r * k + c];
    }
    const q = quantizeWeight(kn, [k, n], {
      scheme: weightType,
      axis: 1,
      symmetric: weightType === 'int8',
      name: w.name,
    });
    const qType = weightType === 'int8' ? DataType.INT8 : DataType.UINT8;
    const sw = names.stem(w.name, 'w');
    const wq = createTensor(names.take(`${sw}_q`), qType, [k, n], Array.from(q.codes));
    const wz = createTensor(names.take(`${sw}_z`), qType, [n], Array.from(q.zeroPoint));
    const ws = createTensor(names.take(`${sw}_s`), DataType.FLOAT, [n], q.scale);
    newInits.push(wq, wz, ws);
    const x = node.inputs[0];
    const base = names.stem(node.name || node.outputs[0], 'mm');
    const sx = names.stem(x, 'act');
    const xq = names.take(`${sx}_q`);
    const xs = names.take(`${sx}_s`);
    const xz = names.take(`${sx}_z`);
    const acc = names.take(`${base}_acc`);
    const accF = names.take(`${base}_accf`);
    const scale = names.take(`${base}_s`);
    const y = node.outputs[0];
    const bias = node.inputs[2];
    const scaled = bias ? names.take(`${base}_y`) : y;
    const out: Node[] = [
      op('DynamicQuantizeLinear', names.take(`${base}_DQL`), [x], [xq, xs, xz]),
      op('MatMulInteger', names.take(`${base}_MMI`), [xq, wq.name, xz, wz.name], [acc]),
      op('Cast', names.take(`${base}_cast`), [acc], [accF], { to: int(DataType.FLOAT) }),
      op('Mul', names.take(`${base}_smul`), [xs, ws.name], [scale]),
      op('Mul', names.take(`${base}_mul`), [accF, scale], [scaled]),
    ];
    if (bias) out.push(op('Add', names.take(`${base}_add`), [scaled, bias], [y]));
    replacement.set(node, out);
  }
  const nodesOut = graph.nodes.flatMap((n) => replacement.get(n) ?? [n]);
  const used = new Set<string>();
  for (const n of nodesOut) for (const i of n.inputs) if (i) used.add(i);
  for (const o of graph.outputs) used.add(o.name);
  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  return {
    ...graph,
    nodes: nodesOut,
    initializers: [
      ...graph.initializers.filter((t) => used.has(t.name) || graphInputs.has(t.name)),
      ...newInits,
    ],
  };
}
