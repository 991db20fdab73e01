import { DataType } from '../dtype';
import type { Attribute, Node } from '../graph';
import { createTensor, type Tensor } from '../tensor';

/** Attribute values the builder accepts: numbers are ints unless wrapped with {@link float}. */
export type AttrInput =
  number | string | readonly number[] | { float: number } | { floats: readonly number[] };

/**
 * Marks a number as a float attribute.
 *
 * @example
 * builder.add('LeakyRelu', [x], { alpha: float(0.3) }, 'lrelu');
 */
export function float(value: number): { float: number } {
  return { float: value };
}

function toAttribute(value: AttrInput): Attribute {
  if (typeof value === 'number') return { type: 'int', value };
  if (typeof value === 'string') return { type: 'string', value };
  if (Array.isArray(value)) return { type: 'ints', value: [...(value as number[])] };
  if ('float' in (value as object)) return { type: 'float', value: (value as { float: number }).float };
  return { type: 'floats', value: [...(value as { floats: readonly number[] }).floats] };
}

/**
 * Accumulates IR nodes and initializers with unique value and node names (used by the TF.js decoder).
 *
 * @example
 * const b = new IrBuilder();
 * const y = b.add('Relu', ['x'], {}, 'relu1');
 */
export class IrBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Tensor[] = [];
  private readonly valueNames = new Set<string>();
  private readonly nodeNames = new Set<string>();

  /** Reserves a value name (graph inputs). */
  reserve(name: string): void {
    this.valueNames.add(name);
  }

  /** A value name starting with `base` that is not used yet (and reserves it). */
  freshValue(base: string): string {
    let name = base;
    for (let i = 1; this.valueNames.has(name); i++) name = `${base}_${i}`;
    this.valueNames.add(name);
    return name;
  }

  private freshNode(base: string): string {
    let name = base;
    for (let i = 1; this.nodeNames.has(name); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    return name;
  }

  /** Adds a single-output node; returns the output value name (fresh, based on `name`). */
  add(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttrInput>,
    name: string,
  ): string {
    const output = this.freshValue(name);
    const attrs: Record<string, Attribute> = {};
    for (const [k, v] of Object.entries(attributes)) attrs[k] = toAttribute(v);
    this.nodes.push({
      name: this.freshNode(name),
      opType,
      domain: '',
      inputs: [...inputs],
      outputs: [output],
      attributes: attrs,
    });
    return output;
  }

  /** Adds a float32 initializer; returns its (fresh) name. */
  floatInit(name: string, dims: readonly number[], values: Float32Array | readonly number[]): string {
    const fresh = this.freshValue(name);
    this.initializers.push(
      createTensor(
        fresh,
        DataType.FLOAT,
        dims,
        values instanceof Float32Array ? values : Float32Array.from(values),
      ),
    );
    return fresh;
  }

  /** Adds a 1-D int64 initializer (shapes, pads); returns its (fresh) name. */
  int64Init(name: string, values: readonly number[]): string {
    const fresh = this.freshValue(name);
    this.initializers.push(
      createTensor(
        fresh,
        DataType.INT64,
        [values.length],
        BigInt64Array.from(values, (v) => BigInt(v)),
      ),
    );
    return fresh;
  }

  /** Renames a value produced by a node at or after `fromNode` (and its uses in those nodes). */
  renameFrom(fromNode: number, from: string, to: string): void {
    this.valueNames.add(to);
    for (let i = fromNode; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (n.outputs.includes(from) || n.inputs.includes(from)) {
        this.nodes[i] = {
          ...n,
          inputs: n.inputs.map((v) => (v === from ? to : v)),
          outputs: n.outputs.map((v) => (v === from ? to : v)),
        };
      }
    }
  }

  /** Renames node `index` to `name` (or a fresh name based on it when taken); returns the name given. */
  renameNode(index: number, name: string): string {
    const node = this.nodes[index];
    this.nodeNames.delete(node.name);
    const fresh = this.freshNode(name);
    this.nodes[index] = { ...node, name: fresh };
    return fresh;
  }

  /** True when a node at or after `fromNode` produces `value`. */
  producedSince(fromNode: number, value: string): boolean {
    for (let i = fromNode; i < this.nodes.length; i++) if (this.nodes[i].outputs.includes(value)) return true;
    return false;
  }

  /** True when the value name is taken. */
  has(name: string): boolean {
    return this.valueNames.has(name);
  }
}
