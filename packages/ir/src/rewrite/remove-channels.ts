import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Attribute, Dim, Graph, Node, ValueInfo } from '../graph';
import type { Tensor } from '../tensor';
import type { ChannelEditContext, ChannelValue } from '../coupling/channel-rule';
import { analyzeChannels } from '../coupling/engine';
import type { CouplingOptions } from '../coupling/types';
import { takeAlongAxis } from './take-along-axis';
import { NameAllocator } from './names';

/**
 * Channels to keep per group id: sorted, distinct channel indices.
 *
 * @example
 * const keep: KeepMap = { conv1: [0, 2, 3], 'conv2[0:8]': [1, 5] };
 */
export type KeepMap = ReadonlyMap<string, readonly number[]> | Readonly<Record<string, readonly number[]>>;

function entriesOf(keep: KeepMap): [string, readonly number[]][] {
  return keep instanceof Map
    ? [...keep.entries()]
    : Object.entries(keep as Record<string, readonly number[]>);
}

function withShapeDim(info: ValueInfo, axis: number, rank: number, size: number): ValueInfo {
  const t = info.type;
  if (t?.kind !== 'tensor' || !t.shape || t.shape.length !== rank || typeof t.shape[axis] !== 'number')
    return info;
  if (t.shape[axis] === size) return info;
  const shape: Dim[] = [...t.shape];
  shape[axis] = size;
  return { ...info, type: { ...t, shape } };
}

function withShape(info: ValueInfo, dims: readonly number[]): ValueInfo {
  const t = info.type;
  if (t?.kind !== 'tensor') return info;
  return { ...info, type: { ...t, shape: [...dims] } };
}

/**
 * Physically removes channels: for each group id, keeps only the listed channels (sorted indices
 * in `[0, group.channels)`) and shrinks every coupled tensor — producer weights and biases, the
 * consumers' input channels, BN/per-channel/Q-DQ parameters — and rewrites `group` attributes of
 * depthwise convs, Split sizes and literal channel counts of Reshape/Expand/Resize. Declared shapes
 * (value_info, inputs, outputs) follow. Pure: returns a new graph sharing unchanged objects.
 * Groups not listed keep all channels.
 *
 * Throws `MC_UNKNOWN_GROUP` for an id the graph does not have, `MC_GROUP_UNPRUNABLE` when
 * asked to shrink a group reported unprunable, `MC_INVALID_ARGUMENT` for bad indices.
 *
 * @example
 * const groups = analyzeCoupling(graph).filter((g) => g.prunable);
 * const keep = new Map(groups.map((g) => [g.id, [...Array(Math.ceil(g.channels / 2)).keys()]]));
 * const smaller = removeChannels(graph, keep);
 */
export function removeChannels(graph: Graph, keep: KeepMap, options: CouplingOptions = {}): Graph {
  const analysis = analyzeChannels(graph, options);
  const byId = new Map(analysis.groups.map((g) => [g.group.id, g]));
  const removedRoots = new Set<number>();
  for (const [id, indices] of entriesOf(keep)) {
    const entry = byId.get(id);
    if (!entry) {
      throw new MetacompressError(ErrorCodes.UNKNOWN_GROUP, `no coupling group '${id}' in this graph`, {
        group: id,
      });
    }
    const { group, roots } = entry;
    if (!Array.isArray(indices) && !(indices instanceof Array)) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        'channels to keep must be an array of indices',
        { group: id, field: 'keep' },
      );
    }
    for (let i = 0; i < indices.length; i++) {
      const c = indices[i];
      if (!Number.isInteger(c) || c < 0 || c >= group.channels || (i > 0 && c <= indices[i - 1])) {
        throw new MetacompressError(
          ErrorCodes.INVALID_ARGUMENT,
          `channels to keep must be sorted distinct integers in [0, ${group.channels}); got ${JSON.stringify(indices.slice(0, 20))}`,
          { group: id, field: 'keep' },
        );
      }
    }
    if (indices.length === group.channels) continue;
    if (indices.length < group.minChannels) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `group keeps ${indices.length} channels, fewer than its minimum ${group.minChannels}`,
        {
          group: id,
          field: 'keep',
        },
      );
    }
    if (!group.prunable) {
      throw new MetacompressError(
        ErrorCodes.GROUP_UNPRUNABLE,
        `group cannot be pruned: ${group.reason ?? 'unknown reason'}`,
        { group: id },
      );
    }
    const kept = new Set(indices);
    roots.forEach((r, j) => {
      if (!kept.has(j)) removedRoots.add(r);
    });
  }
  if (removedRoots.size === 0) return graph;

  const isRemoved = (atom: number): boolean => removedRoots.has(analysis.rootOf(atom));
  const keptCache = new WeakMap<Int32Array, number[]>();
  const keptPositions = (v: ChannelValue): number[] => {
    let k = keptCache.get(v.atoms);
    if (!k) {
      k = [];
      for (let p = 0; p < v.atoms.length; p++) if (!isRemoved(v.atoms[p])) k.push(p);
      keptCache.set(v.atoms, k);
    }
    return k;
  };
  const touched = (v: ChannelValue | undefined): boolean =>
    v !== undefined && keptPositions(v).length !== v.atoms.length;

  // 1. Constant tensors: kept element indices per axis.
  const tensorEdits = new Map<string, Map<number, Set<number> | undefined>>();
  for (const site of analysis.sites) {
    if (!touched(site.value)) continue;
    const span = site.value.span.value;
    const kept = new Set<number>();
    for (const p of keptPositions(site.value)) for (let k = 0; k < span; k++) kept.add(p * span + k);
    let axes = tensorEdits.get(site.tensor);
    if (!axes) tensorEdits.set(site.tensor, (axes = new Map()));
    const prev = axes.get(site.axis);
    axes.set(site.axis, prev ? new Set([...prev].filter((i) => kept.has(i))) : kept);
  }
  const newTensors = new Map<string, Tensor>();
  for (const [name, axes] of tensorEdits) {
    let t = analysis.constants.get(name)!.tensor;
    for (const [axis, kept] of axes)
      t = takeAlongAxis(
        t,
        axis,
        [...kept!].sort((a, b) => a - b),
      );
    newTensors.set(name, t);
  }

  // 2. Nodes: Constant nodes holding edited tensors, then rule edits.
  const names = new NameAllocator(graph);
  const nodes: Node[] = [...graph.nodes];
  const extraInitializers: Tensor[] = [];
  const replacedInitializers = new Map<string, Tensor>(newTensors);
  const constantNodeIndex = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    if (n.opType === 'Constant' && n.outputs[0]) constantNodeIndex.set(n.outputs[0], i);
  });
  const initializerNames = new Set(graph.initializers.map((t) => t.name));
  const replaceConstant = (name: string, tensor: Tensor): void => {
    if (initializerNames.has(name)) {
      replacedInitializers.set(name, { ...tensor, name });
      return;
    }
    const ci = constantNodeIndex.get(name);
    if (ci !== undefined) {
      const n = nodes[ci];
      const { name: _n, ...value } = tensor;
      nodes[ci] = {
        ...n,
        attributes: { ...n.attributes, value: { type: 'tensor', value: { ...value, name } } },
      };
    }
  };
  for (const [name, t] of newTensors) if (!initializerNames.has(name)) replaceConstant(name, t);

  for (const { node: original, nodeIndex, edit } of analysis.edits) {
    const related = [...original.inputs, ...original.outputs].some((v) => touched(analysis.values.get(v)));
    if (!related) continue;
    let current = nodes[nodeIndex];
    const ctx: ChannelEditContext = {
      get node() {
        return current;
      },
      keptPositions,
      keptCount: (v) => keptPositions(v).length,
      keptWidth: (v) => keptPositions(v).length * v.span.value,
      setAttribute: (name: string, value: Attribute | undefined) => {
        const attributes = { ...current.attributes };
        if (value === undefined) delete attributes[name];
        else attributes[name] = value;
        current = { ...current, attributes };
      },
      inputConstant: (index: number) => {
        const name = current.inputs[index];
        if (!name) return undefined;
        return replacedInitializers.get(name) ?? analysis.constants.get(name)?.tensor;
      },
      setInputConstant: (index: number, tensor: Tensor) => {
        const name = current.inputs[index];
        const users = name ? (analysis.index.consumers.get(name)?.length ?? 0) : 0;
        if (name && users === 1 && (initializerNames.has(name) || constantNodeIndex.has(name))) {
          replaceConstant(name, tensor);
          return;
        }
        const fresh = names.allocate(tensor.name || `${current.name}_input${index}`);
        extraInitializers.push({ ...tensor, name: fresh });
        const inputs = [...current.inputs];
        while (inputs.length <= index) inputs.push('');
        inputs[index] = fresh;
        current = { ...current, inputs };
      },
    };
    edit(ctx);
    nodes[nodeIndex] = current;
  }

  // 3. Declared shapes.
  const dqOutputs = new Map<string, Tensor>();
  for (const n of graph.nodes) {
    if (n.opType === 'DequantizeLinear' && n.outputs[0] && newTensors.has(n.inputs[0]))
      dqOutputs.set(n.outputs[0], newTensors.get(n.inputs[0])!);
  }
  const fixInfo = (info: ValueInfo): ValueInfo => {
    const v = analysis.values.get(info.name);
    if (v && touched(v)) return withShapeDim(info, v.axis, v.rank, keptPositions(v).length * v.span.value);
    const t = replacedInitializers.get(info.name);
    if (t) return withShape(info, t.dims);
    const dq = dqOutputs.get(info.name);
    if (dq) return withShape(info, dq.dims);
    return info;
  };
  const mapInfos = (list: readonly ValueInfo[]): readonly ValueInfo[] => {
    let changed = false;
    const out = list.map((i) => {
      const f = fixInfo(i);
      if (f !== i) changed = true;
      return f;
    });
    return changed ? out : list;
  };

  const initializers = graph.initializers.map((t) => replacedInitializers.get(t.name) ?? t);
  return {
    ...graph,
    nodes,
    initializers: extraInitializers.length ? [...initializers, ...extraInitializers] : initializers,
    inputs: mapInfos(graph.inputs),
    outputs: mapInfos(graph.outputs),
    valueInfo: mapInfos(graph.valueInfo),
  };
}
