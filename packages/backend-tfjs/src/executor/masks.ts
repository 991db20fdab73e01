import type * as tfc from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { nodeLabel, type CouplingGroup, type Graph, type Node } from '@metacompress/ir';
import type { Tf } from './layout';
import { layoutOf, shapeOf, tensorIn, tensorValue, type RuntimeValue } from './runtime-value';
import { alongAxis } from './ops/align';

/** Where one group's mask multiplies an activation. */
export interface MaskSite {
  group: string;
  /** The activation (a value name) the mask scales. */
  value: string;
  axis: number;
  offset: number;
  length: number;
  stride: number;
}

/** Channel masks keyed by coupling-group id: one value per group channel. */
export type ChannelMasks = ReadonlyMap<string, tfc.Tensor> | Readonly<Record<string, tfc.Tensor>>;

const AFFINE_TAIL = new Set(['Add', 'Sub', 'Mul', 'Div']);

/**
 * Where soft channel masks go: for every coupling group, at the output of each node that
 * produces the group's channels (convolutions, Gemm/MatMul, channel-preserving depthwise convs),
 * moved past what applies per channel right after it — BatchNormalization, or a bias/scale with a
 * constant operand — so the mask scales the finished channel: a mask of 0 makes the channel
 * exactly zero, as removing it would (for activations with f(0) = 0). A channel-preserving
 * producer fed by its own group is masked again (its bias is masked too); with soft masks the
 * scale then compounds.
 *
 * @example
 * const sites = maskSites(graph, nodes, analyzeCoupling(graph));
 * sites.get('/conv1/Conv_output_0'); // [{ group: '/conv1/Conv', axis: 1, offset: 0, length: 6, stride: 1, … }]
 */
export function maskSites(
  original: Graph,
  nodes: readonly Node[],
  groups: readonly CouplingGroup[],
  constants: ReadonlySet<string>,
): Map<string, MaskSite[]> {
  const byLabel = new Map(original.nodes.map((n, i) => [nodeLabel(n, i), n]));
  const producerOf = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  for (const n of nodes) {
    for (const o of n.outputs) if (o) producerOf.set(o, n);
    for (const i of new Set(n.inputs)) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  }
  const outputs = new Set(original.outputs.map((o) => o.name));
  const sites = new Map<string, MaskSite[]>();
  for (const g of groups) {
    const activations = new Map(g.activations.map((a) => [a.value, a]));
    const labels = new Set([
      ...g.producers,
      ...g.slices.filter((s) => s.role === 'output').map((s) => s.node),
    ]);
    for (const label of labels) {
      const source = byLabel.get(label);
      const first = source?.outputs[0];
      if (!first || !producerOf.has(first)) continue;
      let value = first;
      for (;;) {
        const next = consumers.get(value);
        if (!next || next.length !== 1 || outputs.has(value)) break;
        const c = next[0]!;
        const tail =
          (c.opType === 'BatchNormalization' && c.inputs[0] === value) ||
          (AFFINE_TAIL.has(c.opType) &&
            c.inputs.length === 2 &&
            c.inputs.some((i) => i !== value && constants.has(i)));
        if (!tail || !c.outputs[0] || !activations.has(c.outputs[0])) break;
        value = c.outputs[0];
      }
      const a = activations.get(value) ?? activations.get(first);
      if (!a) continue;
      const list = sites.get(a.value) ?? [];
      if (!list.some((s) => s.group === g.id))
        list.push({
          group: g.id,
          value: a.value,
          axis: a.axis,
          offset: a.offset,
          length: a.length,
          stride: a.stride,
        });
      sites.set(a.value, list);
    }
  }
  return sites;
}

/**
 * Multiplies a value's channels by a group mask (channel `j` owns `stride` elements from
 * `offset + j·stride` along `axis`; others are left as they are). Differentiable in the mask.
 *
 * @example
 * applyMask(tf, value, site, tf.tensor1d([1, 0, 0.5]));
 */
export function applyMask(tf: Tf, v: RuntimeValue, site: MaskSite, mask: tfc.Tensor): RuntimeValue {
  if (mask.size !== site.length) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `mask of group '${site.group}' has ${mask.size} values, the group has ${site.length} channels`,
      {
        group: site.group,
      },
    );
  }
  const dims = shapeOf(v);
  const d = dims[site.axis]!;
  let m = tf.reshape(mask, [site.length]);
  if (m.dtype !== 'float32') m = tf.cast(m, 'float32');
  if (site.stride > 1)
    m = tf.reshape(tf.tile(tf.reshape(m, [site.length, 1]), [1, site.stride]), [site.length * site.stride]);
  const after = d - site.offset - site.length * site.stride;
  if (site.offset > 0 || after > 0) {
    const parts = [];
    if (site.offset > 0) parts.push(tf.ones([site.offset]));
    parts.push(m);
    if (after > 0) parts.push(tf.ones([after]));
    m = tf.concat(parts);
  }
  const layout = layoutOf(v);
  const x = tensorIn(tf, v, layout);
  return tensorValue(tf.mul(x, alongAxis(tf, m, site.axis, dims.length, layout)), layout, v.dataType);
}

/**
 * The masks as a map, checking every group id is known.
 *
 * @example
 * masksToMap({ '/conv1/Conv': m }, new Set(['/conv1/Conv']));
 */
export function masksToMap(masks: ChannelMasks, known: ReadonlySet<string>): Map<string, tfc.Tensor> {
  const map =
    masks instanceof Map ? new Map(masks) : new Map(Object.entries(masks as Record<string, tfc.Tensor>));
  for (const id of map.keys()) {
    if (!known.has(id)) {
      throw new MetacompressError(
        ErrorCodes.UNKNOWN_GROUP,
        `no coupling group '${id}' carries a mask in this graph`,
        { group: id },
      );
    }
  }
  return map;
}
