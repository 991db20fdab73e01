import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Dim } from '../graph';
import { IrBuilder } from './ir-builder';
import type { KerasLayer } from './keras-topology';
import { composePerm, flatColumnMap, identityPerm, inversePerm, isIdentity, NCHW_FROM_NHWC } from './layout';
import type { TfjsWeightValue } from './weights';

/**
 * How an IR value relates to the Keras tensor it stands for:
 * - `perm`: the IR value is `transpose(keras, perm)` (identity, or NCHW for NHWC image tensors);
 * - `flat`: both are `[N, F]` flattenings of the same features; the IR flattens features of dims
 *   `dims` in their order, Keras flattens `transpose(features, perm)` (a Keras Flatten of NHWC
 *   features kept as a Flatten of NCHW features: dims `[C, H, W]`, perm `[1, 2, 0]`).
 */
export type Relation = { kind: 'perm'; perm: number[] } | { kind: 'flat'; dims: number[]; perm: number[] };

/** A Keras tensor during decoding: the IR value holding it, its Keras shape, and their relation. */
export interface DecodedValue {
  ir: string;
  /** Keras shape, batch first. */
  shape: Dim[];
  rel: Relation;
}

/**
 * The relation "same layout" of a rank.
 *
 * @example
 * sameLayout(2); // { kind: 'perm', perm: [0, 1] }
 */
export function sameLayout(rank: number): Relation {
  return { kind: 'perm', perm: identityPerm(rank) };
}

function relKey(rel: Relation): string {
  return rel.kind === 'perm' ? `p${rel.perm.join('')}` : `f${rel.dims.join('x')}:${rel.perm.join('')}`;
}

/**
 * True when two relations are the same.
 *
 * @example
 * sameRelation(sameLayout(2), sameLayout(2)); // true
 */
export function sameRelation(a: Relation, b: Relation): boolean {
  return relKey(a) === relKey(b);
}

/** Keras weight names tried for a layer's parameter, most specific first. */
function weightCandidates(layer: string, param: string, index: number): string[] {
  return [`${layer}/${param}`, `${layer}/${index}`];
}

/** State shared by the layer handlers while decoding one model. */
export class DecodeContext {
  readonly b = new IrBuilder();
  private readonly cache = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(
    readonly weights: Map<string, TfjsWeightValue>,
    readonly file: string | undefined,
  ) {}

  /** A typed error about a layer (to throw). */
  error(code: string, reason: string, layer: KerasLayer, field?: string): MetacompressError {
    return new MetacompressError(code, reason, {
      file: this.file,
      node: layer.name,
      opType: layer.className,
      field,
    });
  }

  /**
   * A layer's weight by parameter name (`kernel`, `bias`, `gamma`, ...), checked against `shape`
   * (null dims match anything). `index` is the parameter's position among the layer's weights,
   * used for Keras 3 names (`dense/0`).
   */
  weight(
    layer: KerasLayer,
    param: string,
    index: number,
    shape: readonly (number | null)[],
  ): TfjsWeightValue {
    let found: TfjsWeightValue | undefined;
    for (const name of weightCandidates(layer.name, param, index)) {
      found = this.weights.get(name);
      if (found) break;
    }
    if (!found) {
      // Scoped names: 'model/dense/kernel' or 'dense/cell/kernel' (as TF.js itself accepts).
      const suffix = `/${layer.name}/${param}`;
      for (const [name, w] of this.weights) {
        if (this.used.has(name)) continue;
        if (
          name.endsWith(suffix) ||
          (name.startsWith(`${layer.name}/`) && name.endsWith(`/${param}`) && name.split('/').length === 3)
        ) {
          found = w;
          break;
        }
      }
    }
    if (!found) {
      throw this.error(
        ErrorCodes.MODEL_INVALID,
        `layer '${layer.name}' (${layer.className}) has no weight '${param}' in the weights manifest (looked for '${layer.name}/${param}')`,
        layer,
        `weightsManifest`,
      );
    }
    this.used.add(found.name);
    const ok =
      found.shape.length === shape.length && shape.every((d, i) => d === null || d === found.shape[i]);
    if (!ok) {
      throw this.error(
        ErrorCodes.SHAPE_MISMATCH,
        `weight '${found.name}' has shape [${found.shape.join(', ')}] but layer '${layer.name}' needs [${shape.map((d) => d ?? '?').join(', ')}]`,
        layer,
        `weight '${found.name}'.shape`,
      );
    }
    return found;
  }

  /** The IR value holding `transpose(keras, perm)` for a Keras tensor (adds a Transpose when needed). */
  asPerm(v: DecodedValue, perm: readonly number[]): string {
    if (v.rel.kind === 'flat') {
      if (perm.length !== 2)
        throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'a flattened value has rank 2');
      return this.unflatten(v);
    }
    if (v.rel.perm.length !== perm.length) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `rank ${v.rel.perm.length} value asked for a rank-${perm.length} layout`,
      );
    }
    if (v.rel.perm.every((p, i) => p === perm[i])) return v.ir;
    const key = `${v.ir}|p${perm.join('')}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const r = composePerm(inversePerm(v.rel.perm), perm);
    const suffix = isIdentity(perm)
      ? 'keras'
      : perm.length === 4 && perm.every((p, i) => p === NCHW_FROM_NHWC[i])
        ? 'nchw'
        : `perm${perm.join('')}`;
    const out = this.b.add('Transpose', [v.ir], { perm: r }, `${v.ir}/${suffix}`);
    this.cache.set(key, out);
    return out;
  }

  /** The IR value holding the Keras tensor in its own layout. */
  asKeras(v: DecodedValue): string {
    return this.asPerm(v, identityPerm(v.shape.length));
  }

  /** The IR value holding a rank-4 NHWC Keras tensor as NCHW. */
  asNchw(v: DecodedValue, layer: KerasLayer): string {
    if (v.shape.length !== 4)
      throw this.error(
        ErrorCodes.SHAPE_MISMATCH,
        `expects a rank-4 NHWC input, got rank ${v.shape.length}`,
        layer,
        'input',
      );
    return this.asPerm(v, NCHW_FROM_NHWC);
  }

  /** Column map of a flat relation: `map[k]` is the IR column of Keras column `k`. */
  columnMap(rel: Extract<Relation, { kind: 'flat' }>): Int32Array {
    return flatColumnMap(rel.dims, rel.perm);
  }

  /** Reorders IR-flattened features into Keras order: Reshape → Transpose → Flatten. */
  private unflatten(v: DecodedValue): string {
    const rel = v.rel as Extract<Relation, { kind: 'flat' }>;
    const key = `${v.ir}|keras`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const shape = this.b.int64Init(`${v.ir}/unflat_shape`, [0, ...rel.dims]);
    const unflat = this.b.add('Reshape', [v.ir, shape], {}, `${v.ir}/unflat`);
    const moved = this.b.add(
      'Transpose',
      [unflat],
      { perm: [0, ...rel.perm.map((p) => p + 1)] },
      `${v.ir}/keras_order`,
    );
    const out = this.b.add('Flatten', [moved], { axis: 1 }, `${v.ir}/keras`);
    this.cache.set(key, out);
    return out;
  }
}
