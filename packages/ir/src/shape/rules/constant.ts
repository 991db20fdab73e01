import { attrInt } from '../../attributes';
import { DataType } from '../../dtype';
import type { Attribute, Dim, Node } from '../../graph';
import { toNumbers, type Tensor } from '../../tensor';
import type { ShapeContext, ShapeRule } from '../shape-rule';
import { staticShape, type ValueShape } from '../value-shape';
import { roundToType } from '../values';
import { countOf, dimsArg, withContents } from './helpers';

/**
 * What is known about a tensor: type, dims and (when numeric and at most `limit` elements) contents.
 *
 * @example
 * tensorValueShape(createTensor('s', DataType.INT64, [2], [1, -1]), 64); // { dataType: 7, shape: [2], value: [1, -1] }
 */
export function tensorValueShape(t: Tensor, limit: number): ValueShape {
  const shape = [...t.dims];
  let n = 1;
  for (const d of shape) n *= d;
  if (n <= limit && t.raw && t.dataType !== DataType.STRING) {
    try {
      return { dataType: t.dataType, shape, value: Array.from(toNumbers(t)) };
    } catch {
      // unreadable contents (bad byte length, unknown type): shape only
    }
  }
  return { dataType: t.dataType, shape };
}

function numbersOf(values: readonly unknown[] | undefined): number[] | undefined {
  if (!Array.isArray(values)) return undefined;
  const out = values.map((v) =>
    Number(typeof v === 'object' && v !== null && 'toString' in v ? String(v) : v),
  );
  return out.every((v) => Number.isFinite(v)) ? out : undefined;
}

function constantValue(node: Node, ctx: ShapeContext): ValueShape | undefined {
  const entries = Object.entries(node.attributes) as [string, Attribute][];
  for (const [name, a] of entries) {
    switch (name) {
      case 'value':
        if (a.type === 'tensor') return tensorValueShape(a.value, ctx.maxValueElements);
        break;
      case 'value_float':
        if (a.type === 'float') return { dataType: DataType.FLOAT, shape: [], value: [Math.fround(a.value)] };
        break;
      case 'value_floats':
        if (a.type === 'floats')
          return withContents(
            DataType.FLOAT,
            [a.value.length],
            ctx.wantsValue(a.value.length) ? a.value.map(Math.fround) : undefined,
          );
        break;
      case 'value_int':
        if (a.type === 'int') return { dataType: DataType.INT64, shape: [], value: [a.value] };
        break;
      case 'value_ints':
        if (a.type === 'ints')
          return withContents(
            DataType.INT64,
            [a.value.length],
            ctx.wantsValue(a.value.length) ? a.value : undefined,
          );
        break;
      case 'value_string':
        return { dataType: DataType.STRING, shape: [] };
      case 'value_strings':
        if (a.type === 'strings') return { dataType: DataType.STRING, shape: [a.value.length] };
        break;
      case 'sparse_value': {
        // a decoded SparseTensorProto: { dims, values: TensorProto }
        const proto = a.value as { dims?: unknown[]; values?: { dataType?: number } } | undefined;
        const dims = numbersOf(proto?.dims);
        return { dataType: proto?.values?.dataType ?? 0, shape: dims };
      }
      default:
        break;
    }
  }
  return undefined;
}

function shapeOp(node: Node, x: ValueShape | undefined): ValueShape {
  const xs = x?.shape;
  if (!xs) return { dataType: DataType.INT64, shape: [null] };
  const r = xs.length;
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(attrInt(node, 'start', 0));
  const end = clamp(attrInt(node, 'end', r));
  const dims = xs.slice(start, Math.max(start, end));
  return withContents(DataType.INT64, [dims.length], dims);
}

function rangeOp(inputs: readonly (ValueShape | undefined)[], ctx: ShapeContext): ValueShape {
  const dataType = inputs[0]?.dataType ?? inputs[1]?.dataType ?? 0;
  const [start, limit, delta] = inputs.map((v) => v?.value?.[0]);
  if (start === undefined || limit === undefined || delta === undefined) return { dataType, shape: [null] };
  if (delta === 0) ctx.fail('input[2]', 'Range delta is 0');
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  if (!ctx.wantsValue(n)) return { dataType, shape: [n] };
  return {
    dataType,
    shape: [n],
    value: Array.from({ length: n }, (_, i) => roundToType(start + i * delta, dataType)),
  };
}

function castContents(x: ValueShape | undefined, to: number): readonly Dim[] | undefined {
  if (!x) return undefined;
  if (x.value) return to === DataType.STRING ? undefined : x.value.map((v) => roundToType(v, to));
  const integer = (t: number): boolean =>
    t === DataType.INT64 || t === DataType.INT32 || t === DataType.UINT64 || t === DataType.UINT32;
  return x.symbolic && integer(x.dataType) && integer(to) ? x.symbolic : undefined;
}

/** Constant, Shape, Size, ConstantOfShape, Range, Cast, CastLike, EyeLike, NonZero. */
export function constantRules(): Record<string, ShapeRule> {
  return {
    Constant: (node, _inputs, ctx) => [constantValue(node, ctx)],
    Shape: (node, [x]) => [shapeOp(node, x)],
    Size: (_node, [x]) => {
      const n = countOf(x?.shape);
      return [
        n === undefined
          ? { dataType: DataType.INT64, shape: [] }
          : { dataType: DataType.INT64, shape: [], value: [n] },
      ];
    },
    ConstantOfShape: (node, inputs, ctx) => {
      const a = node.attributes.value;
      const fill = a?.type === 'tensor' ? a.value : undefined;
      const dataType = fill?.dataType ?? DataType.FLOAT;
      const dims = dimsArg(node, inputs, 0);
      if (!dims) {
        const ss = staticShape(inputs[0]);
        return [{ dataType, shape: ss ? new Array(ss[0]).fill(null) : undefined }];
      }
      const n = countOf(dims);
      if (!ctx.wantsValue(n)) return [{ dataType, shape: dims }];
      const v = fill ? (tensorValueShape(fill, 1).value?.[0] ?? 0) : 0;
      return [{ dataType, shape: dims, value: new Array(n).fill(v) }];
    },
    Range: (_node, inputs, ctx) => [rangeOp(inputs, ctx)],
    Cast: (node, [x]) => {
      const to = attrInt(node, 'to', 0);
      return [x?.shape ? withContents(to, x.shape, castContents(x, to)) : { dataType: to }];
    },
    CastLike: (_node, [x, like]) => {
      const to = like?.dataType ?? 0;
      return [x?.shape ? withContents(to, x.shape, to ? castContents(x, to) : undefined) : { dataType: to }];
    },
    EyeLike: (node, [x]) => [
      { dataType: attrInt(node, 'dtype', x?.dataType ?? DataType.FLOAT), shape: x?.shape },
    ],
    NonZero: (_node, [x]) => [{ dataType: DataType.INT64, shape: [x?.shape ? x.shape.length : null, null] }],
  };
}
