import { DataType } from '../dtype';
import type { Graph, Node } from '../graph';
import { indexGraph } from '../graph-index';
import { createTensor, toFloat32, type Tensor } from '../tensor';
import { collectConstants, namesUsedBySubgraphs } from '../coupling/constants';
import { dropUnused } from './cleanup';
import { NameAllocator } from './names';

function intAttr(node: Node, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a?.type === 'int' ? a.value : fallback;
}

function floatAttr(node: Node, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a?.type === 'float' ? a.value : fallback;
}

const isDefault = (n: Node): boolean => n.domain === '' || n.domain === 'ai.onnx';

/**
 * Folds every BatchNormalization (inference mode) into the Conv, ConvTranspose or Gemm that
 * produces its input, when that output has no other reader: with `s = γ / √(σ² + ε)` the
 * producer's weights become `W·s` per output channel and its bias `(b − μ)·s + β`. The producer
 * takes over the BN's output name; the BN node and its now unused parameters disappear.
 * Computed in float64, stored as float32 (float32 weights only; others are left unfolded).
 * Pure: returns a new graph (the same graph when nothing folds).
 *
 * @example
 * const folded = foldBatchNorm(graph);
 * folded.nodes.some((n) => n.opType === 'BatchNormalization'); // false for a Conv-BN-ReLU net
 */
export function foldBatchNorm(graph: Graph): Graph {
  const index = indexGraph(graph);
  const constants = collectConstants(graph);
  const subgraphNames = namesUsedBySubgraphs(graph);
  const names = new NameAllocator(graph);
  const replaced = new Map<Node, Node>();
  const removed = new Set<Node>();
  const newTensors = new Map<string, Tensor>();
  const extra: Tensor[] = [];
  const candidates = new Set<string>();
  const dropInfo = new Set<string>();

  const floatConst = (
    name: string | undefined,
  ): { tensor: Tensor; base: string; values: Float32Array } | undefined => {
    if (!name) return undefined;
    const c = constants.get(name);
    if (!c || c.tensor.dataType !== DataType.FLOAT || !c.tensor.raw) return undefined;
    return { tensor: c.tensor, base: c.base, values: toFloat32(c.tensor) };
  };
  /** Writes a rewritten constant: in place when only `user` reads it, else under a fresh name. */
  const store = (
    name: string | undefined,
    base: string | undefined,
    user: Node,
    dims: readonly number[],
    values: Float32Array,
    fallback: string,
  ): string => {
    const users = name ? (index.consumers.get(name) ?? []) : [];
    const direct = name !== undefined && name === base && graph.initializers.some((t) => t.name === name);
    if (
      name &&
      direct &&
      users.length === 1 &&
      users[0] === user &&
      !index.outputs.has(name) &&
      !newTensors.has(name)
    ) {
      newTensors.set(name, createTensor(name, DataType.FLOAT, dims, values));
      return name;
    }
    const fresh = names.allocate(name ? `${name}_bnfold` : fallback);
    extra.push(createTensor(fresh, DataType.FLOAT, dims, values));
    if (name) candidates.add(name);
    return fresh;
  };

  for (const bn of graph.nodes) {
    if (bn.opType !== 'BatchNormalization' || !isDefault(bn)) continue;
    if (intAttr(bn, 'training_mode', 0) !== 0 || intAttr(bn, 'spatial', 1) !== 1) continue;
    if (bn.outputs.slice(1).some((o) => o)) continue;
    const x = bn.inputs[0];
    const producer = x ? index.producer.get(x) : undefined;
    if (!producer || !isDefault(producer) || replaced.has(producer) || removed.has(producer)) continue;
    if (!['Conv', 'ConvTranspose', 'Gemm'].includes(producer.opType)) continue;
    if ((index.consumers.get(x) ?? []).length !== 1 || index.outputs.has(x) || subgraphNames.has(x)) continue;
    if (producer.outputs.length !== 1) continue;
    const gamma = floatConst(bn.inputs[1]);
    const beta = floatConst(bn.inputs[2]);
    const mean = floatConst(bn.inputs[3]);
    const variance = floatConst(bn.inputs[4]);
    const w = floatConst(producer.inputs[1]);
    if (!gamma || !beta || !mean || !variance || !w) continue;
    const c = gamma.values.length;
    if (beta.values.length !== c || mean.values.length !== c || variance.values.length !== c) continue;
    const eps = floatAttr(bn, 'epsilon', 1e-5);
    const s = new Float64Array(c);
    for (let i = 0; i < c; i++) s[i] = gamma.values[i] / Math.sqrt(variance.values[i] + eps);

    const dims = w.tensor.dims;
    const wv = w.values;
    const newW = new Float32Array(wv.length);
    let newBias: { dims: number[]; values: Float32Array } | undefined;
    const biasName = producer.inputs[2] || undefined;
    let attributes = producer.attributes;

    if (producer.opType === 'Conv') {
      if (dims[0] !== c) continue;
      const per = wv.length / c;
      for (let o = 0; o < c; o++) for (let k = 0; k < per; k++) newW[o * per + k] = wv[o * per + k] * s[o];
    } else if (producer.opType === 'ConvTranspose') {
      const group = intAttr(producer, 'group', 1);
      const cinPerGroup = dims[0] / group;
      const coutPerGroup = dims[1];
      if (coutPerGroup * group !== c || !Number.isInteger(cinPerGroup)) continue;
      const inner = wv.length / (dims[0] * dims[1]);
      for (let ci = 0; ci < dims[0]; ci++) {
        const g = Math.floor(ci / cinPerGroup);
        for (let j = 0; j < coutPerGroup; j++) {
          const o = g * coutPerGroup + j;
          const at = (ci * coutPerGroup + j) * inner;
          for (let k = 0; k < inner; k++) newW[at + k] = wv[at + k] * s[o];
        }
      }
    } else {
      // Gemm: Y = alpha·A'·B' + beta·C, channels on B's output axis.
      if (dims.length !== 2) continue;
      const transB = intAttr(producer, 'transB', 0);
      const n = transB ? dims[0] : dims[1];
      if (n !== c) continue;
      for (let r = 0; r < dims[0]; r++) {
        for (let k = 0; k < dims[1]; k++) newW[r * dims[1] + k] = wv[r * dims[1] + k] * s[transB ? r : k];
      }
      const betaAttr = floatAttr(producer, 'beta', 1);
      const cc = biasName ? floatConst(biasName) : undefined;
      if (biasName && !cc) continue;
      const cd = cc?.tensor.dims ?? [];
      if (cd.length > 2 || (cd.length >= 1 && cd[cd.length - 1] !== 1 && cd[cd.length - 1] !== c)) continue;
      const rows = cd.length === 2 ? cd[0] : 1;
      const outDims = cd.length === 2 ? [rows, c] : [c];
      const cols = cd.length === 0 ? 1 : cd[cd.length - 1];
      const values = new Float32Array(rows * c);
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < c; o++) {
          const cv = cc ? cc.values[r * cols + (cols === 1 ? 0 : o)] : 0;
          values[r * c + o] = (betaAttr * cv - mean.values[o]) * s[o] + beta.values[o];
        }
      }
      newBias = { dims: outDims, values };
      if (betaAttr !== 1) attributes = { ...attributes, beta: { type: 'float', value: 1 } };
    }
    if (!newBias) {
      const b = biasName ? floatConst(biasName) : undefined;
      if (biasName && (!b || b.values.length !== c)) continue;
      const values = new Float32Array(c);
      for (let o = 0; o < c; o++)
        values[o] = ((b ? b.values[o] : 0) - mean.values[o]) * s[o] + beta.values[o];
      newBias = { dims: [c], values };
    }

    const fallback = producer.name || bn.outputs[0];
    const wName = store(producer.inputs[1], w.base, producer, dims, newW, `${fallback}_weight`);
    const bName = store(
      biasName,
      biasName ? floatConst(biasName)?.base : undefined,
      producer,
      newBias.dims,
      newBias.values,
      `${fallback}_bias`,
    );
    const inputs = [...producer.inputs];
    while (inputs.length < 3) inputs.push('');
    inputs[1] = wName;
    inputs[2] = bName;
    replaced.set(producer, { ...producer, inputs, outputs: [bn.outputs[0]], attributes });
    removed.add(bn);
    dropInfo.add(x);
    for (const i of bn.inputs.slice(1)) if (i) candidates.add(i);
  }
  if (removed.size === 0) return graph;

  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  const initializers = graph.initializers.map((t) => newTensors.get(t.name) ?? t);
  const out: Graph = {
    ...graph,
    nodes,
    initializers: [...initializers, ...extra],
    valueInfo: graph.valueInfo.filter((v) => !dropInfo.has(v.name)),
  };
  return dropUnused(out, candidates);
}
