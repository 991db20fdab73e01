import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { DataType } from '../dtype';
import type { Attribute, Dim, Graph, Node } from '../graph';
import { nodeLabel } from '../graph-index';
import type { ValueShape } from '../shape/value-shape';
import { createTensor, type Tensor } from '../tensor';
import { composePerm, flatColumnMap, identityPerm, inversePerm, isIdentity, NHWC_FROM_NCHW } from './layout';
import type { TfjsWeightValue } from './weights';

/**
 * How a Keras tensor relates to the IR value it encodes:
 * - `perm`: the Keras tensor is `transpose(ir, perm)` (NHWC for NCHW image values: perm `[0, 2, 3, 1]`);
 * - `flat`: both are `[N, F]` flattenings of the same features; the IR flattens features of dims
 *   `dims` as they are, Keras flattens `transpose(features, perm)` (after a Keras Flatten of NHWC);
 * - `squeezed`: the IR value is `[N, C, 1, 1]` (ONNX global pooling) and the Keras tensor `[N, C]`.
 */
export type KerasRelation =
  | { kind: 'perm'; perm: number[] }
  | { kind: 'flat'; dims: number[]; perm: number[] }
  | { kind: 'squeezed'; channels: number };

/** An IR value during encoding: the Keras layer whose (first) output holds it, and how. */
export interface EncodedValue {
  keras: string;
  rel: KerasRelation;
}

/** A Keras layer as written to `modelTopology` (functional form). */
export interface KerasLayerJson {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, never>][][];
}

/** Relation of a rank: NHWC for rank-4 image values, the same layout otherwise. */
export function canonicalRelation(rank: number): KerasRelation {
  return { kind: 'perm', perm: rank === 4 ? [...NHWC_FROM_NCHW] : identityPerm(rank) };
}

function relKey(rel: KerasRelation): string {
  if (rel.kind === 'perm') return `p${rel.perm.join('')}`;
  if (rel.kind === 'flat') return `f${rel.dims.join('x')}:${rel.perm.join('')}`;
  return `s${rel.channels}`;
}

/**
 * True when two relations are the same.
 *
 * @example
 * sameKerasRelation(canonicalRelation(4), canonicalRelation(4)); // true
 */
export function sameKerasRelation(a: KerasRelation, b: KerasRelation): boolean {
  return relKey(a) === relKey(b);
}

function sanitize(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[_.-]+|[_.-]+$/g, '');
  return s.length > 0 ? s : 'layer';
}

/** Tensor of a Constant node's value attribute(s). */
function constantOf(node: Node): Tensor | undefined {
  const name = node.outputs[0];
  const a: Record<string, Attribute> = node.attributes as Record<string, Attribute>;
  const v = a.value;
  if (v?.type === 'tensor') return { ...v.value, name };
  if (a.value_float?.type === 'float') return createTensor(name, DataType.FLOAT, [], [a.value_float.value]);
  if (a.value_floats?.type === 'floats')
    return createTensor(name, DataType.FLOAT, [a.value_floats.value.length], [...a.value_floats.value]);
  if (a.value_int?.type === 'int') return createTensor(name, DataType.INT64, [], [a.value_int.value]);
  if (a.value_ints?.type === 'ints')
    return createTensor(name, DataType.INT64, [a.value_ints.value.length], [...a.value_ints.value]);
  return undefined;
}

/** State of one encoding: Keras layers and weights written so far, and what each IR value became. */
export class EncodeContext {
  readonly layers: KerasLayerJson[] = [];
  readonly weights: TfjsWeightValue[] = [];
  readonly values = new Map<string, EncodedValue>();
  readonly constants = new Map<string, Tensor>();
  /** Nodes already encoded as part of an earlier node (e.g. a bias Add fused into Dense). */
  readonly absorbed = new Set<Node>();
  private readonly names = new Set<string>();
  private readonly cache = new Map<string, string>();
  readonly consumers = new Map<string, Node[]>();
  readonly graphOutputs: Set<string>;

  constructor(
    readonly graph: Graph,
    readonly shapes: Map<string, ValueShape>,
    readonly file: string | undefined,
  ) {
    for (const t of graph.initializers) this.constants.set(t.name, t);
    for (const n of graph.nodes) {
      for (const i of n.inputs) if (i) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    }
    this.graphOutputs = new Set(graph.outputs.map((o) => o.name));
  }

  /** A typed error about a node (to throw). */
  error(code: string, reason: string, node: Node, field?: string): MetacompressError {
    return new MetacompressError(code, reason, {
      file: this.file,
      node: nodeLabel(node, this.graph.nodes.indexOf(node)),
      opType: node.opType,
      field,
    });
  }

  /** `MC_UNSUPPORTED_OP` for a node (to throw). */
  unsupported(node: Node, reason: string, field?: string): MetacompressError {
    return this.error(
      ErrorCodes.UNSUPPORTED_OP,
      `${node.opType} ${reason}; it has no TF.js Keras layer`,
      node,
      field,
    );
  }

  /** Records a Constant node's tensor. */
  addConstant(node: Node): void {
    const t = constantOf(node);
    if (!t)
      throw this.unsupported(node, 'holds a value of a kind this encoder does not read (sparse or string)');
    this.constants.set(node.outputs[0], t);
  }

  /** The constant tensor of a value, if it is one. */
  constant(name: string): Tensor | undefined {
    return name ? this.constants.get(name) : undefined;
  }

  /** The encoded value of a node's input; throws when it is a constant or unknown. */
  input(node: Node, index: number): EncodedValue {
    const name = node.inputs[index];
    const v = name ? this.values.get(name) : undefined;
    if (!v) {
      if (name && this.constants.has(name))
        throw this.unsupported(
          node,
          `with a constant input ${index} ('${name}') where a tensor is expected`,
          `input ${index}`,
        );
      throw this.error(
        ErrorCodes.MODEL_INVALID,
        `input ${index} ('${name}') is not produced by any earlier node or graph input`,
        node,
        `input ${index}`,
      );
    }
    return v;
  }

  /** Inferred IR shape of a value. */
  shape(name: string): readonly Dim[] | undefined {
    return this.shapes.get(name)?.shape;
  }

  /** A unique Keras layer name derived from `base`. */
  layerName(base: string): string {
    const clean = sanitize(base);
    let name = clean;
    for (let i = 1; this.names.has(name); i++) name = `${clean}_${i}`;
    this.names.add(name);
    return name;
  }

  /**
   * Renames a layer to `sanitize(wanted)` when that name is free (inbound references and weight
   * names follow); returns the layer's name afterwards.
   */
  renameLayer(from: string, wanted: string): string {
    const to = sanitize(wanted);
    if (to === from || this.names.has(to)) return from;
    this.names.delete(from);
    this.names.add(to);
    for (const layer of this.layers) {
      if (layer.name === from) {
        layer.name = to;
        layer.config.name = to;
      }
      for (const node of layer.inbound_nodes) for (const ref of node) if (ref[0] === from) ref[0] = to;
    }
    for (const w of this.weights)
      if (w.name.startsWith(`${from}/`)) w.name = `${to}${w.name.slice(from.length)}`;
    for (const [k, v] of this.values) if (v.keras === from) this.values.set(k, { ...v, keras: to });
    return to;
  }

  /** Appends a Keras layer called on `inputs` (Keras layer names); returns its name. */
  layer(className: string, base: string, config: Record<string, unknown>, inputs: readonly string[]): string {
    const name = this.layerName(base);
    this.layers.push({
      class_name: className,
      name,
      config: { name, trainable: true, ...config },
      inbound_nodes: inputs.length
        ? [inputs.map((i) => [i, 0, 0, {}] as [string, number, number, Record<string, never>])]
        : [],
    });
    return name;
  }

  /** Adds a weight `${layer}/${param}`. */
  weight(layer: string, param: string, shape: readonly number[], values: Float32Array): void {
    this.weights.push({ name: `${layer}/${param}`, shape: [...shape], values });
  }

  /** The Keras layer holding `v` in relation `want` (adds Permute / Reshape / Flatten layers when needed). */
  kerasAs(v: EncodedValue, want: KerasRelation, node: Node, irRank: number): string {
    if (sameKerasRelation(v.rel, want)) return v.keras;
    const key = `${v.keras}|${relKey(want)}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    let out: string;
    const base = `${v.keras}_as`;
    if (v.rel.kind === 'perm' && want.kind === 'perm') {
      out = this.permute(v.keras, composePerm(inversePerm(v.rel.perm), want.perm), node);
    } else if (v.rel.kind === 'squeezed' && want.kind === 'perm' && irRank === 4) {
      // IR [N, C, 1, 1] in relation `want`: only C is not 1, so a Reshape is the whole transpose.
      const irDims = [0, v.rel.channels, 1, 1];
      out = this.layer('Reshape', base, { target_shape: want.perm.slice(1).map((i) => irDims[i]) }, [
        v.keras,
      ]);
    } else if (v.rel.kind === 'flat' && want.kind === 'perm' && want.perm.length === 2) {
      const { dims, perm } = v.rel;
      const shaped = this.layer('Reshape', `${base}_unflat`, { target_shape: perm.map((i) => dims[i]) }, [
        v.keras,
      ]);
      const back = this.permute(shaped, [0, ...inversePerm(perm).map((i) => i + 1)], node);
      out = this.layer('Flatten', `${base}_flat`, {}, [back]);
    } else {
      throw this.unsupported(
        node,
        `needs its input in a layout the encoder cannot produce (${relKey(v.rel)} → ${relKey(want)})`,
      );
    }
    this.cache.set(key, out);
    return out;
  }

  /** The Keras layer holding `v` in the canonical relation of its rank. */
  canonical(v: EncodedValue, node: Node, irRank: number): string {
    return this.kerasAs(v, canonicalRelation(irRank), node, irRank);
  }

  /** A Permute layer applying `perm` (batch axis fixed) to a Keras tensor, or the tensor itself for the identity. */
  private permute(keras: string, perm: readonly number[], node: Node): string {
    if (isIdentity(perm)) return keras;
    if (perm[0] !== 0) throw this.unsupported(node, 'would need the batch axis moved');
    return this.layer('Permute', `${keras}_permute`, { dims: perm.slice(1) }, [keras]);
  }

  /** Column map of a flat relation: `map[k]` is the IR column of Keras column `k`. */
  columnMap(rel: Extract<KerasRelation, { kind: 'flat' }>): Int32Array {
    return flatColumnMap(rel.dims, rel.perm);
  }
}
