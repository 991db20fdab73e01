import type { Dim, Graph, Node } from '../graph';
import { indexGraph, nodeLabel, type GraphIndex } from '../graph-index';
import { builtinChannelRule } from './builtin-rules';
import {
  channelRuleKey,
  registeredChannelRule,
  type ChannelEdit,
  type ChannelRule,
  type ChannelRuleContext,
  type ChannelValue,
  type ConstantWeight,
} from './channel-rule';
import { collectConstants, namesUsedBySubgraphs, type ConstantSource } from './constants';
import { knownFacts } from './shapes';
import type {
  ActivationSlice,
  ChannelSlice,
  ChannelSliceRole,
  CouplingGroup,
  CouplingOptions,
} from './types';

/** A constant tensor slice recorded during propagation (whole axis: `value.atoms.length × span = dims[axis]`). */
export interface Site {
  /** The tensor that holds the data (an initializer or Constant output, never an Identity alias). */
  tensor: string;
  /** The node whose channels the slice belongs to. */
  reader: Node;
  /** The node that reads the tensor (the reader, or a DequantizeLinear in front of it). */
  user: Node;
  axis: number;
  role: ChannelSliceRole;
  value: ChannelValue;
}

/** Channels created by one node output (or opaque channels standing for an untracked operand). */
interface Production {
  node: Node | undefined;
  nodeIndex: number;
  count: number;
  output: string;
}

/** A group together with its channel classes (union-find roots) in channel order. */
export interface GroupClasses {
  group: CouplingGroup;
  roots: number[];
}

/** Everything {@link removeChannels} needs besides the groups themselves. */
export interface ChannelAnalysis {
  graph: Graph;
  index: GraphIndex;
  constants: Map<string, ConstantSource>;
  values: Map<string, ChannelValue>;
  sites: Site[];
  edits: { node: Node; nodeIndex: number; edit: ChannelEdit }[];
  /** Union-find root of an atom. */
  rootOf(atom: number): number;
  groups: GroupClasses[];
}

const MAX_REASONS = 3;

function opsetOf(graph: Graph, domain: string): number {
  const d = domain === 'ai.onnx' ? '' : domain;
  const imp = graph.model.opsetImports.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d);
  return imp?.version ?? (d === '' ? 13 : 1);
}

/** Runs the channel rules over the graph and builds the coupling groups. */
export function analyzeChannels(graph: Graph, options: CouplingOptions = {}): ChannelAnalysis {
  const index = indexGraph(graph);
  const constants = collectConstants(graph);
  const { shapes, elements } = knownFacts(graph, options);
  const subgraphNames = namesUsedBySubgraphs(graph);
  const values = new Map<string, ChannelValue>();
  const sites: Site[] = [];
  const edits: ChannelAnalysis['edits'] = [];

  // Union-find over atoms.
  const parent: number[] = [];
  const atomProduction: number[] = [];
  const atomChannel: number[] = [];
  const productions: Production[] = [];
  const reasons: string[] = [];
  const reasonIds = new Map<string, number>();
  const blocked = new Map<number, Set<number>>();

  const find = (a: number): number => {
    let r = a;
    while (parent[r] !== r) r = parent[r];
    while (parent[a] !== r) {
      const next = parent[a];
      parent[a] = r;
      a = next;
    }
    return r;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    // Keep the older atom as the root (stable ordering).
    if (ra < rb) parent[rb] = ra;
    else parent[ra] = rb;
  };
  const allocate = (production: Production): Int32Array => {
    const p = productions.push(production) - 1;
    const atoms = new Int32Array(production.count);
    for (let c = 0; c < production.count; c++) {
      const id = parent.length;
      parent.push(id);
      atomProduction.push(p);
      atomChannel.push(c);
      atoms[c] = id;
    }
    return atoms;
  };
  const blockAtoms = (atoms: Int32Array, reason: string): void => {
    let id = reasonIds.get(reason);
    if (id === undefined) {
      id = reasons.push(reason) - 1;
      reasonIds.set(reason, id);
    }
    for (const a of atoms) {
      let set = blocked.get(a);
      if (!set) blocked.set(a, (set = new Set()));
      set.add(id);
    }
  };

  const consumerCount = (name: string): number => index.consumers.get(name)?.length ?? 0;
  const shapeOf = (name: string): readonly Dim[] | undefined => {
    if (!name) return undefined;
    const c = constants.get(name);
    if (c) return c.tensor.dims;
    return shapes.get(name);
  };

  graph.nodes.forEach((node, nodeIndex) => {
    const label = nodeLabel(node, nodeIndex);
    const opset = opsetOf(graph, node.domain);
    const key = channelRuleKey(node.opType, node.domain);
    const rule: ChannelRule =
      options.rules?.[key] ??
      options.rules?.[node.opType] ??
      registeredChannelRule(node.opType, node.domain) ??
      builtinChannelRule(node) ??
      'blocking';

    const addSite = (
      tensor: string,
      axis: number,
      value: ChannelValue,
      role: ChannelSliceRole,
      user: Node = node,
    ): boolean => {
      const c = constants.get(tensor);
      if (!c) {
        blockAtoms(value.atoms, `${label}: '${tensor}' is not a constant`);
        return false;
      }
      if (!c.sliceable) {
        blockAtoms(
          value.atoms,
          `${label}: constant '${tensor}' is stored as a list attribute that cannot be sliced`,
        );
        return false;
      }
      const dims = c.tensor.dims;
      if (axis < 0 || axis >= dims.length) {
        blockAtoms(value.atoms, `${label}: '${tensor}' has no axis ${axis}`);
        return false;
      }
      const n = value.atoms.length;
      if (value.span.value === 0 && n > 0 && dims[axis] % n === 0) value.span.value = dims[axis] / n;
      if (dims[axis] !== n * value.span.value) {
        blockAtoms(
          value.atoms,
          `${label}: '${tensor}' has ${dims[axis]} elements on axis ${axis} but the channels need ${n}×${value.span.value}`,
        );
        return false;
      }
      sites.push({ tensor: c.base, reader: node, user, axis, role, value });
      return true;
    };

    const weightOf = (i: number): ConstantWeight | undefined => {
      const name = node.inputs[i];
      if (!name) return undefined;
      const c = constants.get(name);
      if (c) return { name: c.base, tensor: c.tensor };
      const dq = index.producer.get(name);
      if (!dq || dq.opType !== 'DequantizeLinear') return undefined;
      const base = constants.get(dq.inputs[0] ?? '');
      const scale = constants.get(dq.inputs[1] ?? '');
      if (!base || !scale) return undefined;
      const blockSize = dq.attributes.block_size;
      if (blockSize?.type === 'int' && blockSize.value > 0) return undefined;
      const rank = base.tensor.dims.length;
      let axis = dq.attributes.axis?.type === 'int' ? dq.attributes.axis.value : 1;
      if (axis < 0) axis += rank;
      const perAxis =
        scale.tensor.dims.length === 1 &&
        scale.tensor.dims[0] > 1 &&
        scale.tensor.dims[0] === base.tensor.dims[axis];
      const zeroPoint = dq.inputs[2] || undefined;
      return {
        name: base.base,
        tensor: base.tensor,
        dequantize: { node: dq, scale: dq.inputs[1], zeroPoint, axis, perAxis },
      };
    };

    const ctx: ChannelRuleContext = {
      node,
      label,
      opset,
      input: (i) => {
        const name = node.inputs[i];
        return name ? values.get(name) : undefined;
      },
      constant: (i) => {
        const name = node.inputs[i];
        return name ? constants.get(name)?.tensor : undefined;
      },
      weight: weightOf,
      shape: (i) => {
        const name = node.inputs[i];
        if (!name) return undefined;
        return shapeOf(name);
      },
      outputShape: (i) => shapeOf(node.outputs[i] ?? ''),
      knownElements: (i) => {
        const name = node.inputs[i];
        return name ? elements.get(name) : undefined;
      },
      produce: (count, axis, rank) => {
        const atoms = allocate({ node, nodeIndex, count, output: node.outputs[0] ?? '' });
        return { atoms, axis, rank, span: { value: 1 } };
      },
      view: (value, axis, rank, span) => ({ atoms: value.atoms, axis, rank, span: span ?? value.span }),
      sliceOf: (value, start, count) => ({
        atoms: value.atoms.subarray(start, start + count),
        axis: value.axis,
        rank: value.rank,
        span: value.span,
      }),
      concat: (parts, axis, rank, span) => {
        const total = parts.reduce((n, p) => n + p.atoms.length, 0);
        const atoms = new Int32Array(total);
        let at = 0;
        for (const p of parts) {
          atoms.set(p.atoms, at);
          at += p.atoms.length;
        }
        return { atoms, axis, rank, span };
      },
      opaque: (count, axis, rank, reason) => {
        const atoms = allocate({ node: undefined, nodeIndex: -1, count, output: '' });
        blockAtoms(atoms, reason);
        return { atoms, axis, rank, span: { value: 1 } };
      },
      couple: (a, b) => {
        if (a.atoms === b.atoms) return;
        const sa = a.span.value;
        const sb = b.span.value;
        if (
          a.atoms.length !== b.atoms.length ||
          (sa !== 0 && sb !== 0 && sa !== sb) ||
          (sa === 0) !== (sb === 0)
        ) {
          const why = `${label}: cannot couple ${a.atoms.length} channels with ${b.atoms.length}${sa !== sb ? ` (elements per channel ${sa} vs ${sb})` : ''}`;
          blockAtoms(a.atoms, why);
          blockAtoms(b.atoms, why);
          return;
        }
        for (let p = 0; p < a.atoms.length; p++) union(a.atoms[p], b.atoms[p]);
      },
      block: (value, reason) => blockAtoms(value.atoms, `${label}: ${reason}`),
      setOutput: (i, value) => {
        const name = node.outputs[i];
        if (!name) return;
        values.set(name, value);
        if (index.outputs.has(name)) blockAtoms(value.atoms, `${label}: output '${name}' is a graph output`);
        if (subgraphNames.has(name))
          blockAtoms(value.atoms, `${label}: output '${name}' is read inside a subgraph`);
        const known = shapes.get(name);
        if (known && value.span.value !== 0) {
          const d = known[value.axis];
          if (
            known.length !== value.rank ||
            (typeof d === 'number' && d !== value.atoms.length * value.span.value)
          ) {
            blockAtoms(
              value.atoms,
              `${label}: output '${name}' has shape [${known.join(', ')}], which does not match ${value.atoms.length} channels on axis ${value.axis}`,
            );
          }
        }
      },
      addSlice: (i, axis, value, role) => {
        const name = node.inputs[i];
        if (!name) return;
        addSite(name, axis, value, role);
      },
      addWeightSlice: (i, axis, value, role) => {
        const w = weightOf(i);
        const name = node.inputs[i] ?? '';
        if (!w) {
          blockAtoms(value.atoms, `${label}: weight '${name}' is not a constant`);
          return;
        }
        if (!w.dequantize) {
          addSite(name, axis, value, role);
          return;
        }
        const dq = w.dequantize;
        if (consumerCount(name) > 1) {
          blockAtoms(value.atoms, `${label}: dequantized weight '${name}' is shared`);
          return;
        }
        if (!addSite(dq.node.inputs[0], axis, value, role, dq.node)) return;
        if (dq.perAxis && dq.axis === axis) {
          addSite(dq.scale, 0, value, 'qparam', dq.node);
          if (dq.zeroPoint) addSite(dq.zeroPoint, 0, value, 'qparam', dq.node);
        }
      },
      onRemove: (edit) => {
        edits.push({ node, nodeIndex, edit });
      },
    };

    if (rule === 'blocking') {
      for (let i = 0; i < node.inputs.length; i++) {
        const v = ctx.input(i);
        if (v)
          blockAtoms(
            v.atoms,
            `${label}: ${node.domain ? `${node.domain}:` : ''}${node.opType} does not propagate channels (no channel rule)`,
          );
      }
      return;
    }
    if (rule === 'sink') return;
    if (rule === 'unary') {
      unaryRule(ctx);
      return;
    }
    if (rule === 'elementwise') {
      elementwiseRule(ctx);
      return;
    }
    rule(ctx);
  });

  checkSharedConstants(graph, index, sites, constants, (atoms, why) => blockAtoms(atoms, why), union);
  const groups = buildGroups(
    graph,
    values,
    sites,
    productions,
    atomProduction,
    atomChannel,
    find,
    blocked,
    reasons,
  );
  return { graph, index, constants, values, sites, edits, rootOf: find, groups };
}

/**
 * A constant sliced for some channels must change for every node that reads it: each reader
 * (through Identity aliases) needs a slice on the same axis, and the slices of different readers
 * couple their channels (shared parameters, as DepGraph treats them).
 */
function checkSharedConstants(
  graph: Graph,
  index: GraphIndex,
  sites: Site[],
  constants: Map<string, ConstantSource>,
  block: (atoms: Int32Array, why: string) => void,
  union: (a: number, b: number) => void,
): void {
  const byTensor = new Map<string, Site[]>();
  for (const s of sites) {
    const list = byTensor.get(s.tensor);
    if (list) list.push(s);
    else byTensor.set(s.tensor, [s]);
  }
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const subgraphNames = namesUsedBySubgraphs(graph);
  for (const [tensor, list] of byTensor) {
    // Every node that reads the tensor, looking through Identity aliases.
    const users = new Set<Node>();
    let escapes: string | undefined;
    const visit = (name: string): void => {
      if (graphOutputs.has(name)) escapes = `constant '${tensor}' is a graph output`;
      if (subgraphNames.has(name)) escapes = `constant '${tensor}' is read inside a subgraph`;
      for (const u of index.consumers.get(name) ?? []) {
        if (u.opType === 'Identity' && constants.get(u.outputs[0] ?? '')?.base === tensor)
          visit(u.outputs[0]);
        else users.add(u);
      }
    };
    visit(tensor);
    const byAxis = new Map<number, Site[]>();
    for (const s of list) {
      const l = byAxis.get(s.axis);
      if (l) l.push(s);
      else byAxis.set(s.axis, [s]);
    }
    for (const [axis, axisSites] of byAxis) {
      const covered = new Set(axisSites.map((s) => s.user));
      const missing = [...users].filter((u) => !covered.has(u));
      const why =
        escapes ??
        (missing.length
          ? `constant '${tensor}' is also read by ${missing.map((u) => nodeLabel(u, index.position.get(u))).join(', ')}, which does not follow its channels`
          : undefined);
      if (why) {
        for (const s of axisSites)
          block(s.value.atoms, `${nodeLabel(s.reader, index.position.get(s.reader))}: ${why}`);
        continue;
      }
      const first = axisSites[0].value;
      for (const s of axisSites.slice(1)) {
        const v = s.value;
        if (v.atoms.length !== first.atoms.length || v.span.value !== first.span.value) {
          const w = `constant '${tensor}' is shared on axis ${axis} by readers with different channel layouts`;
          block(first.atoms, w);
          block(v.atoms, w);
          continue;
        }
        for (let p = 0; p < v.atoms.length; p++) union(first.atoms[p], v.atoms[p]);
      }
    }
  }
}

/** `'unary'`: output(s) carry input 0's channels; other inputs are scalars. */
export function unaryRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  for (let i = 1; i < ctx.node.inputs.length; i++) {
    const other = ctx.input(i);
    if (other) ctx.block(other, `input ${i} of ${ctx.node.opType} is expected to be a scalar`);
  }
  if (!x) return;
  for (let i = 0; i < ctx.node.outputs.length; i++) ctx.setOutput(i, x);
}

/**
 * `'elementwise'`: a broadcasting op. Tracked inputs are coupled; constant operands with the
 * channel count on the channel axis are sliced (`param`); untracked operands must broadcast (size 1)
 * on the channel axis.
 */
export function elementwiseRule(
  ctx: ChannelRuleContext,
  role: ChannelSliceRole = 'param',
): ChannelValue | undefined {
  const node = ctx.node;
  const tracked: { i: number; v: ChannelValue }[] = [];
  for (let i = 0; i < node.inputs.length; i++) {
    const v = ctx.input(i);
    if (v) tracked.push({ i, v });
  }
  if (tracked.length === 0) return undefined;
  const ranks: number[] = [];
  for (let i = 0; i < node.inputs.length; i++) {
    if (!node.inputs[i]) continue;
    const v = ctx.input(i);
    const r = v ? v.rank : ctx.shape(i)?.length;
    if (r === undefined) {
      for (const t of tracked) ctx.block(t.v, `the rank of input ${i} ('${node.inputs[i]}') is unknown`);
      return undefined;
    }
    ranks.push(r);
  }
  const outRank = Math.max(...ranks);
  const first = tracked[0].v;
  const axis = first.axis + outRank - first.rank;
  const width = first.atoms.length * first.span.value;
  for (const t of tracked.slice(1)) {
    const a = t.v.axis + outRank - t.v.rank;
    if (a !== axis) {
      ctx.block(first, `inputs carry channels on different axes (${axis} and ${a})`);
      ctx.block(t.v, `inputs carry channels on different axes (${axis} and ${a})`);
      continue;
    }
    ctx.couple(first, t.v);
  }
  for (let i = 0; i < node.inputs.length; i++) {
    const name = node.inputs[i];
    if (!name || ctx.input(i)) continue;
    const shape = ctx.shape(i);
    const c = ctx.constant(i);
    const rank = shape?.length ?? 0;
    const localAxis = axis - (outRank - rank);
    const d = localAxis >= 0 ? shape?.[localAxis] : 1;
    if (d === 1) continue;
    if (c && first.span.value !== 0 && d === width) {
      ctx.addSlice(i, localAxis, first, role);
      continue;
    }
    ctx.block(
      first,
      `input ${i} ('${name}') ${c ? 'has' : 'may have'} ${d ?? 'unknown'} elements on the channel axis and is not tracked`,
    );
  }
  const out = ctx.view(first, axis, outRank);
  for (let i = 0; i < node.outputs.length; i++) ctx.setOutput(i, out);
  return out;
}

function buildGroups(
  graph: Graph,
  values: Map<string, ChannelValue>,
  sites: Site[],
  productions: Production[],
  atomProduction: number[],
  atomChannel: number[],
  find: (a: number) => number,
  blocked: Map<number, Set<number>>,
  reasons: string[],
): GroupClasses[] {
  const atomCount = atomProduction.length;
  const roots = new Int32Array(atomCount);
  for (let a = 0; a < atomCount; a++) roots[a] = find(a);
  const keys: (number[] | undefined)[] = new Array(atomCount);
  const positions: (number[] | undefined)[] = new Array(atomCount);
  const member = (r: number, key: number, pos: number): void => {
    let k = keys[r];
    if (!k) {
      keys[r] = k = [];
      positions[r] = [];
    }
    k.push(key);
    positions[r]!.push(pos);
  };
  const valueList = [...values.entries()];
  // A value may be the same object as another (pass-through); each name still counts.
  valueList.forEach(([, v], vi) => {
    for (let p = 0; p < v.atoms.length; p++) member(roots[v.atoms[p]], vi, p);
  });
  const V = valueList.length;
  sites.forEach((s, si) => {
    for (let p = 0; p < s.value.atoms.length; p++) member(roots[s.value.atoms[p]], V + si, p);
  });

  // Buckets of roots with the same membership, roots in order of their oldest atom.
  const buckets = new Map<string, number[]>();
  const minAtom = new Int32Array(atomCount).fill(-1);
  for (let a = 0; a < atomCount; a++) {
    const r = roots[a];
    if (minAtom[r] !== -1) continue;
    minAtom[r] = a;
    const k = keys[r];
    if (!k) continue;
    const sig = k.join(',');
    const list = buckets.get(sig);
    if (list) list.push(r);
    else buckets.set(sig, [r]);
  }
  const atomsOfRoot = new Map<number, number[]>();
  for (let a = 0; a < atomCount; a++) {
    const r = roots[a];
    const list = atomsOfRoot.get(r);
    if (list) list.push(a);
    else atomsOfRoot.set(r, [a]);
  }

  const runs: number[][] = [];
  for (const list of buckets.values()) {
    let run = [list[0]];
    for (let i = 1; i < list.length; i++) {
      const prev = positions[run[run.length - 1]]!;
      const cur = positions[list[i]]!;
      let next = true;
      for (let k = 0; k < cur.length; k++) {
        if (cur[k] !== prev[k] + 1) {
          next = false;
          break;
        }
      }
      if (next) run.push(list[i]);
      else {
        runs.push(run);
        run = [list[i]];
      }
    }
    runs.push(run);
  }
  runs.sort((a, b) => minAtom[a[0]] - minAtom[b[0]]);

  const nameCount = new Map<string, number>();
  for (const n of graph.nodes) if (n.name) nameCount.set(n.name, (nameCount.get(n.name) ?? 0) + 1);
  const labelOf = (node: Node, nodeIndex: number): string => nodeLabel(node, nodeIndex);
  const positionOf = new Map<Node, number>();
  graph.nodes.forEach((n, i) => positionOf.set(n, i));
  const usedIds = new Set<string>();

  const result: GroupClasses[] = [];
  for (const run of runs) {
    const r0 = run[0];
    const k0 = keys[r0]!;
    const p0 = positions[r0]!;
    const L = run.length;
    const producerNodes: Node[] = [];
    const reasonSet = new Set<number>();
    for (const r of run) {
      for (const a of atomsOfRoot.get(r) ?? []) {
        const prod = productions[atomProduction[a]];
        if (prod.node && !producerNodes.includes(prod.node)) producerNodes.push(prod.node);
        const b = blocked.get(a);
        if (b) for (const id of b) reasonSet.add(id);
      }
    }
    if (producerNodes.length === 0) continue;
    const slices: ChannelSlice[] = [];
    const activations: ActivationSlice[] = [];
    const nodes: string[] = [];
    const consumers: string[] = [];
    const addNode = (list: string[], label: string): void => {
      if (!list.includes(label)) list.push(label);
    };
    for (const n of producerNodes) addNode(nodes, labelOf(n, positionOf.get(n)!));
    for (let k = 0; k < k0.length; k++) {
      const key = k0[k];
      if (key < V) {
        const [name, v] = valueList[key];
        const span = v.span.value;
        activations.push({ value: name, axis: v.axis, offset: p0[k] * span, length: L, stride: span });
      } else {
        const s = sites[key - V];
        const span = s.value.span.value;
        const label = labelOf(s.reader, positionOf.get(s.reader)!);
        if (s.role === 'input') addNode(consumers, label);
        addNode(nodes, label);
        // A constant shared by several readers (coupled above) is listed once.
        if (slices.some((x) => x.tensor === s.tensor && x.axis === s.axis && x.offset === p0[k] * span))
          continue;
        slices.push({
          tensor: s.tensor,
          node: label,
          axis: s.axis,
          offset: p0[k] * span,
          length: L,
          stride: span,
          role: s.role,
        });
      }
    }
    const firstAtom = minAtom[r0];
    const prod = productions[atomProduction[firstAtom]];
    const producerNode = prod.node!;
    let base =
      producerNode.name && nameCount.get(producerNode.name) === 1
        ? producerNode.name
        : prod.output || labelOf(producerNode, prod.nodeIndex);
    const start = atomChannel[firstAtom];
    if (!(start === 0 && L === prod.count)) base = `${base}[${start}:${start + L}]`;
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}#${n}`;
    usedIds.add(id);

    const why = [...reasonSet].map((i) => reasons[i]);
    if (!slices.some((s) => s.role === 'output'))
      why.push(`no weight produces the channels of ${labelOf(producerNode, prod.nodeIndex)}`);
    const group: CouplingGroup = {
      id,
      channels: L,
      producers: producerNodes.map((n) => labelOf(n, positionOf.get(n)!)),
      consumers,
      nodes,
      slices,
      activations,
      prunable: why.length === 0,
      minChannels: 1,
    };
    if (why.length) {
      group.reason =
        why.slice(0, MAX_REASONS).join('; ') +
        (why.length > MAX_REASONS ? `; and ${why.length - MAX_REASONS} more` : '');
    }
    result.push({ group, roots: run });
  }
  return result;
}
