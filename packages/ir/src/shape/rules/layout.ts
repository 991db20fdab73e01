import { attrInt, attrInts } from '../../attributes';
import type { Dim, Node } from '../../graph';
import { broadcastDims, dimProduct, normalizeAxis, type Fail } from '../dims';
import type { ShapeContext, ShapeRule } from '../shape-rule';
import { knownElements, staticShape, type ValueShape } from '../value-shape';
import { broadcastValues, takeValues, transposeValues } from '../values';
import { countOf, dimsArg, hasInput, intsArg, withContents } from './helpers';

function failOf(ctx: ShapeContext): Fail {
  return (field, reason) => ctx.fail(field, reason);
}

/** Carries x's contents to a new shape with the same element order (Reshape, Squeeze, Flatten...). */
function reshaped(
  x: ValueShape | undefined,
  shape: readonly Dim[] | undefined,
  dataType: number,
): ValueShape {
  if (!shape) return { dataType };
  const contents = knownElements(x);
  const n = countOf(shape);
  return contents && n === contents.length ? withContents(dataType, shape, contents) : { dataType, shape };
}

/** Multiset of a shape's factors: numeric product, symbols, unknowns. */
function factors(dims: readonly Dim[]): { product: number; symbols: string[]; unknown: number } {
  let product = 1;
  const symbols: string[] = [];
  let unknown = 0;
  for (const d of dims) {
    if (typeof d === 'number') product *= d;
    else if (typeof d === 'string') symbols.push(d);
    else unknown++;
  }
  return { product, symbols, unknown };
}

function reshapeRule(node: Node, inputs: readonly (ValueShape | undefined)[], ctx: ShapeContext): ValueShape {
  const x = inputs[0];
  const dataType = x?.dataType ?? 0;
  const target = dimsArg(node, inputs, 1, 'shape');
  const xs = x?.shape;
  if (!target) {
    const ts = staticShape(inputs[1]);
    return { dataType, shape: ts && ts.length === 1 ? new Array(ts[0]).fill(null) : undefined };
  }
  const allowZero = attrInt(node, 'allowzero', 0) !== 0;
  let inferIndex = -1;
  const out: Dim[] = target.map((e, i) => {
    if (typeof e !== 'number') return e;
    if (e === 0 && !allowZero) {
      if (!xs) return null;
      if (i >= xs.length)
        ctx.fail('input[1]', `shape element ${i} is 0 (copy) but the input has rank ${xs.length}`);
      return xs[i];
    }
    if (e === -1) {
      if (inferIndex >= 0) ctx.fail('input[1]', `shape [${target.join(', ')}] has more than one -1`);
      inferIndex = i;
      return null;
    }
    if (e < -1 || !Number.isInteger(e))
      ctx.fail('input[1]', `invalid shape element ${e} in [${target.join(', ')}]`);
    return e;
  });
  if (!xs) return { dataType, shape: out };
  const fin = factors(xs);
  const rest = out.filter((_, i) => i !== inferIndex);
  const fout = factors(rest);
  // cancel symbols that appear on both sides
  const inSyms = [...fin.symbols];
  const outSyms: string[] = [];
  for (const s of fout.symbols) {
    const k = inSyms.indexOf(s);
    if (k >= 0) inSyms.splice(k, 1);
    else outSyms.push(s);
  }
  const determined = fin.unknown === 0 && fout.unknown === 0 && inSyms.length === 0 && outSyms.length === 0;
  const describe = (): string => `cannot reshape [${xs.join(', ')}] into [${target.join(', ')}]`;
  if (inferIndex >= 0) {
    if (determined) {
      if (fout.product === 0) {
        if (fin.product !== 0) ctx.fail('input[1]', `${describe()}: -1 next to a 0 dimension`);
        out[inferIndex] = null;
      } else {
        if (fin.product % fout.product !== 0)
          ctx.fail('input[1]', `${describe()}: ${fin.product} elements do not divide into ${fout.product}`);
        out[inferIndex] = fin.product / fout.product;
      }
    } else if (
      fin.unknown === 0 &&
      fout.unknown === 0 &&
      outSyms.length === 0 &&
      inSyms.length === 1 &&
      fin.product === fout.product
    ) {
      out[inferIndex] = inSyms[0];
    }
  } else if (determined && fin.product !== fout.product) {
    ctx.fail('input[1]', `${describe()}: ${fin.product} elements vs ${fout.product}`);
  }
  return reshaped(x, out, dataType);
}

function concatRule(node: Node, inputs: readonly (ValueShape | undefined)[], ctx: ShapeContext): ValueShape {
  const present = node.inputs.map((name, i) => ({ v: inputs[i], i, name })).filter((p) => p.name);
  const dataType = present.find((p) => p.v?.dataType)?.v?.dataType ?? 0;
  const axisAttr = attrInt(node, 'axis');
  if (axisAttr === undefined) ctx.fail('attribute.axis', 'Concat needs an axis');
  const known = present.filter((p) => p.v?.shape);
  if (known.length === 0) return { dataType };
  const rank = known[0].v!.shape!.length;
  for (const p of known) {
    if (p.v!.shape!.length !== rank) {
      ctx.fail(
        `input[${p.i}]`,
        `rank ${p.v!.shape!.length} differs from input[${known[0].i}]'s rank ${rank} ([${p.v!.shape!.join(', ')}] vs [${known[0].v!.shape!.join(', ')}])`,
      );
    }
  }
  const axis = normalizeAxis(axisAttr, rank, failOf(ctx), 'attribute.axis');
  const out: Dim[] = [];
  for (let d = 0; d < rank; d++) {
    if (d === axis) {
      if (known.length < present.length) out.push(null);
      else {
        const dims = known.map((p) => p.v!.shape![d]);
        const nonZero = dims.filter((x) => x !== 0);
        out.push(
          dims.every((x) => typeof x === 'number')
            ? (dims as number[]).reduce((a, b) => a + b, 0)
            : nonZero.length === 1
              ? nonZero[0]
              : null,
        );
      }
      continue;
    }
    let num: number | undefined;
    let numFrom = -1;
    let sym: Dim | undefined;
    for (const p of known) {
      const x = p.v!.shape![d];
      if (typeof x === 'number') {
        if (num !== undefined && num !== x)
          ctx.fail(`input[${p.i}].dims[${d}]`, `dimension ${d} is ${x} but input[${numFrom}] has ${num}`);
        num = x;
        numFrom = p.i;
      } else sym = sym === undefined ? x : sym === x ? x : null;
    }
    out.push(num ?? sym ?? null);
  }
  // contents
  const n = countOf(out);
  if (
    known.length === present.length &&
    ctx.wantsValue(n) &&
    present.every((p) => knownElements(p.v) && staticShape(p.v))
  ) {
    const outer = out.slice(0, axis).reduce<number>((a, b) => a * (b as number), 1);
    const contents: Dim[] = [];
    for (let o = 0; o < outer; o++) {
      for (const p of present) {
        const s = staticShape(p.v)!;
        const chunk = s.slice(axis).reduce((a, b) => a * b, 1);
        const elems = knownElements(p.v)!;
        for (let k = 0; k < chunk; k++) contents.push(elems[o * chunk + k]);
      }
    }
    return withContents(dataType, out, contents);
  }
  return { dataType, shape: out };
}

function sliceRule(node: Node, inputs: readonly (ValueShape | undefined)[], ctx: ShapeContext): ValueShape {
  const x = inputs[0];
  const dataType = x?.dataType ?? 0;
  const xs = x?.shape;
  if (!xs) return { dataType };
  const rank = xs.length;
  const starts = intsArg(node, inputs, 1, 'starts');
  const ends = intsArg(node, inputs, 2, 'ends');
  const axesArg = intsArg(node, inputs, 3, 'axes');
  const steps = intsArg(node, inputs, 4);
  if (starts === undefined || ends === undefined) ctx.fail('input[1]', 'Slice needs starts and ends');
  if (axesArg === null) return { dataType, shape: xs.map(() => null) };
  // default axes: 0 .. len(starts) - 1 (the length is known from the values or the starts' shape)
  const count = starts?.length ?? ends?.length ?? staticShape(inputs[1])?.[0] ?? staticShape(inputs[2])?.[0];
  if (!axesArg && count === undefined) return { dataType, shape: xs.map(() => null) };
  const axes = (axesArg ?? Array.from({ length: count! }, (_, i) => i)).map((a) =>
    normalizeAxis(a, rank, failOf(ctx), 'axes'),
  );
  if (!starts || !ends || steps === null) {
    return { dataType, shape: xs.map((d, i) => (axes.includes(i) ? null : d)) };
  }
  if (
    starts.length !== ends.length ||
    starts.length !== axes.length ||
    (steps && steps.length !== axes.length)
  ) {
    ctx.fail(
      'input[1]',
      `starts (${starts.length}), ends (${ends.length}), axes (${axes.length}) and steps (${steps?.length ?? '-'}) differ in length`,
    );
  }
  const out: Dim[] = [...xs];
  const ranges: (number[] | undefined)[] = xs.map((d) =>
    typeof d === 'number' ? Array.from({ length: d }, (_, k) => k) : undefined,
  );
  axes.forEach((axis, k) => {
    const step = steps?.[k] ?? 1;
    if (step === 0) ctx.fail('input[4]', 'Slice step 0');
    const d = xs[axis];
    if (typeof d !== 'number') {
      out[axis] = step === 1 && starts[k] === 0 && ends[k] >= 2 ** 31 - 1 ? d : null;
      return;
    }
    let start = starts[k] < 0 ? starts[k] + d : starts[k];
    let end = ends[k] < 0 ? ends[k] + d : ends[k];
    if (step > 0) {
      start = Math.min(Math.max(start, 0), d);
      end = Math.min(Math.max(end, 0), d);
    } else {
      start = Math.min(Math.max(start, 0), d - 1);
      end = Math.min(Math.max(end, -1), d - 1);
    }
    const len = Math.max(0, Math.ceil((end - start) / step));
    out[axis] = len;
    ranges[axis] = Array.from({ length: len }, (_, j) => start + j * step);
  });
  const contents = knownElements(x);
  const n = countOf(out);
  if (contents && staticShape(x) && ctx.wantsValue(n)) {
    return withContents(dataType, out, takeValues(contents, xs as number[], ranges as number[][]));
  }
  return { dataType, shape: out };
}

function splitRule(
  node: Node,
  inputs: readonly (ValueShape | undefined)[],
  ctx: ShapeContext,
): (ValueShape | undefined)[] {
  const x = inputs[0];
  const dataType = x?.dataType ?? 0;
  const n = node.outputs.length;
  const xs = x?.shape;
  if (!xs) return node.outputs.map(() => ({ dataType }));
  const axis = normalizeAxis(attrInt(node, 'axis', 0), xs.length, failOf(ctx), 'attribute.axis');
  const d = xs[axis];
  let sizes = intsArg(node, inputs, 1, 'split');
  if (sizes === null)
    return node.outputs.map(() => ({ dataType, shape: xs.map((v, i) => (i === axis ? null : v)) }));
  if (sizes) {
    if (sizes.length !== n) ctx.fail('split', `${sizes.length} split sizes for ${n} outputs`);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (typeof d === 'number' && total !== d)
      ctx.fail(
        'split',
        `split sizes [${sizes.join(', ')}] add up to ${total}, not dimension ${axis} of size ${d}`,
      );
  } else if (typeof d === 'number') {
    const numOutputs = attrInt(node, 'num_outputs', n);
    if (numOutputs !== n)
      ctx.fail('attribute.num_outputs', `num_outputs ${numOutputs} but the node has ${n} outputs`);
    if (d % n === 0) sizes = new Array(n).fill(d / n);
    else if (ctx.opset >= 18) {
      const chunk = Math.ceil(d / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
    } else ctx.fail('input[0]', `dimension ${axis} of size ${d} does not split evenly into ${n} outputs`);
  }
  const contents = knownElements(x);
  let offset = 0;
  return node.outputs.map((_, i) => {
    const size = sizes ? sizes[i] : null;
    const shape = xs.map((v, k) => (k === axis ? size : v));
    const start = offset;
    if (size !== null) offset += size;
    if (contents && size !== null && staticShape(x) && ctx.wantsValue(countOf(shape))) {
      const ranges = (xs as number[]).map((dim, k) =>
        k === axis
          ? Array.from({ length: size }, (_, j) => start + j)
          : Array.from({ length: dim }, (_, j) => j),
      );
      return withContents(dataType, shape, takeValues(contents, xs as number[], ranges));
    }
    return { dataType, shape };
  });
}

function squeezeRule(node: Node, inputs: readonly (ValueShape | undefined)[], ctx: ShapeContext): ValueShape {
  const x = inputs[0];
  const dataType = x?.dataType ?? 0;
  const xs = x?.shape;
  const axesArg = intsArg(node, inputs, 1, 'axes');
  if (!xs || axesArg === null) return { dataType };
  let keep: boolean[];
  if (axesArg === undefined || axesArg.length === 0) {
    if (xs.some((d) => typeof d !== 'number')) return { dataType };
    keep = xs.map((d) => d !== 1);
  } else {
    const axes = axesArg.map((a) => normalizeAxis(a, xs.length, failOf(ctx), 'axes'));
    for (const a of axes) {
      if (typeof xs[a] === 'number' && xs[a] !== 1)
        ctx.fail('axes', `cannot squeeze axis ${a} of size ${xs[a]} (shape [${xs.join(', ')}])`);
    }
    keep = xs.map((_, i) => !axes.includes(i));
  }
  return reshaped(
    x,
    xs.filter((_, i) => keep[i]),
    dataType,
  );
}

function unsqueezeRule(
  node: Node,
  inputs: readonly (ValueShape | undefined)[],
  ctx: ShapeContext,
): ValueShape {
  const x = inputs[0];
  const dataType = x?.dataType ?? 0;
  const xs = x?.shape;
  const axesArg = intsArg(node, inputs, 1, 'axes');
  if (axesArg === undefined) ctx.fail('axes', 'Unsqueeze needs axes');
  if (!xs || axesArg === null) return { dataType };
  const rank = xs.length + axesArg.length;
  const axes = axesArg.map((a) => normalizeAxis(a, rank, failOf(ctx), 'axes'));
  if (new Set(axes).size !== axes.length) ctx.fail('axes', `duplicate axes [${axesArg.join(', ')}]`);
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : xs[k++]);
  return reshaped(x, out, dataType);
}

function padRule(node: Node, inputs: readonly (ValueShape | undefined)[], ctx: ShapeContext): ValueShape {
  const x = inputs[0];
  const dataType = x?.dataType ?? 0;
  const xs = x?.shape;
  if (!xs) return { dataType };
  const pads = hasInput(node, 1)
    ? (inputs[1]?.value ?? null)
    : (attrInts(node, 'pads') ?? attrInts(node, 'paddings') ?? null);
  const axesArg = intsArg(node, inputs, 3);
  if (axesArg === null) return { dataType, shape: xs.map(() => null) };
  const axes = (axesArg ?? xs.map((_, i) => i)).map((a) => normalizeAxis(a, xs.length, failOf(ctx), 'axes'));
  if (!pads) return { dataType, shape: xs.map((d, i) => (axes.includes(i) ? null : d)) };
  if (pads.length !== 2 * axes.length)
    ctx.fail(
      hasInput(node, 1) ? 'input[1]' : 'attribute.pads',
      `${pads.length} pads for ${axes.length} axes (need ${2 * axes.length})`,
    );
  const out: Dim[] = [...xs];
  axes.forEach((axis, k) => {
    const d = xs[axis];
    const total = pads[k] + pads[k + axes.length];
    out[axis] = typeof d === 'number' ? d + total : total === 0 ? d : null;
    if (typeof out[axis] === 'number' && (out[axis] as number) < 0)
      ctx.fail('pads', `padding makes axis ${axis} negative (${out[axis]})`);
  });
  return { dataType, shape: out };
}

function gatherRule(node: Node, inputs: readonly (ValueShape | undefined)[], ctx: ShapeContext): ValueShape {
  const [data, indices] = inputs;
  const dataType = data?.dataType ?? 0;
  const ds = data?.shape;
  const is = indices?.shape;
  if (!ds || !is) return { dataType };
  if (ds.length === 0) ctx.fail('input[0]', 'Gather on a scalar');
  const axis = normalizeAxis(attrInt(node, 'axis', 0), ds.length, failOf(ctx), 'attribute.axis');
  const out: Dim[] = [...ds.slice(0, axis), ...is, ...ds.slice(axis + 1)];
  const dim = ds[axis];
  const idx = indices?.value;
  if (idx && typeof dim === 'number') {
    for (const i of idx)
      if (i < -dim || i >= dim)
        ctx.fail('input[1]', `index ${i} is out of range for axis ${axis} of size ${dim}`);
  }
  const contents = knownElements(data);
  if (contents && idx && staticShape(data) && ctx.wantsValue(countOf(out))) {
    const s = ds as number[];
    const lists = s.map((d, k) =>
      k === axis ? idx.map((i) => (i < 0 ? i + d : i)) : Array.from({ length: d }, (_, j) => j),
    );
    return withContents(dataType, out, takeValues(contents, s, lists));
  }
  return { dataType, shape: out };
}

function expandRule(node: Node, inputs: readonly (ValueShape | undefined)[], ctx: ShapeContext): ValueShape {
  const x = inputs[0];
  const dataType = x?.dataType ?? 0;
  const target = dimsArg(node, inputs, 1);
  const xs = x?.shape;
  if (!xs || !target) {
    const ts = staticShape(inputs[1]);
    return { dataType, shape: ts && xs ? new Array(Math.max(ts[0], xs.length)).fill(null) : undefined };
  }
  // a target dim of 1 keeps the input's dim: exactly numpy broadcasting
  const out = broadcastDims([xs, target], failOf(ctx));
  const contents = knownElements(x);
  if (contents && staticShape(x) && out.every((d) => typeof d === 'number') && ctx.wantsValue(countOf(out))) {
    return withContents(
      dataType,
      out,
      broadcastValues([{ values: contents, shape: xs as number[] }], out as number[], (v) => v),
    );
  }
  return { dataType, shape: out };
}

function tileRule(node: Node, inputs: readonly (ValueShape | undefined)[], ctx: ShapeContext): ValueShape {
  const x = inputs[0];
  const dataType = x?.dataType ?? 0;
  const xs = x?.shape;
  const repeats = intsArg(node, inputs, 1);
  if (!xs) return { dataType };
  if (!repeats) return { dataType, shape: xs.map(() => null) };
  if (repeats.length !== xs.length) ctx.fail('input[1]', `${repeats.length} repeats for rank ${xs.length}`);
  const out = xs.map((d, i) => (typeof d === 'number' ? d * repeats[i] : repeats[i] === 1 ? d : null));
  const contents = knownElements(x);
  if (contents && staticShape(x) && ctx.wantsValue(countOf(out))) {
    const lists = (out as number[]).map((o, i) => Array.from({ length: o }, (_, j) => j % (xs[i] as number)));
    return withContents(dataType, out, takeValues(contents, xs as number[], lists));
  }
  return { dataType, shape: out };
}

/** Reshape, Flatten, Transpose, Concat, Split, Slice, Squeeze, Unsqueeze, Pad, Gather, Expand, Tile, ... */
export function layoutRules(): Record<string, ShapeRule> {
  return {
    Reshape: (node, inputs, ctx) => [reshapeRule(node, inputs, ctx)],
    Flatten: (node, [x], ctx) => {
      const dataType = x?.dataType ?? 0;
      const xs = x?.shape;
      if (!xs) return [{ dataType }];
      let axis = attrInt(node, 'axis', 1);
      if (axis < -xs.length || axis > xs.length)
        ctx.fail('attribute.axis', `axis ${axis} out of range for rank ${xs.length}`);
      if (axis < 0) axis += xs.length;
      return [reshaped(x, [dimProduct(xs.slice(0, axis)), dimProduct(xs.slice(axis))], dataType)];
    },
    Transpose: (node, [x], ctx) => {
      const dataType = x?.dataType ?? 0;
      const xs = x?.shape;
      if (!xs) return [{ dataType }];
      const perm = attrInts(node, 'perm') ?? xs.map((_, i) => xs.length - 1 - i);
      if (perm.length !== xs.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
        ctx.fail('attribute.perm', `perm [${perm.join(', ')}] is not a permutation of rank ${xs.length}`);
      }
      const out = perm.map((p) => xs[p]);
      const contents = knownElements(x);
      if (contents && staticShape(x) && ctx.wantsValue(countOf(out)))
        return [withContents(dataType, out, transposeValues(contents, xs as number[], perm))];
      return [{ dataType, shape: out }];
    },
    Concat: (node, inputs, ctx) => [concatRule(node, inputs, ctx)],
    Split: (node, inputs, ctx) => splitRule(node, inputs, ctx),
    Slice: (node, inputs, ctx) => [sliceRule(node, inputs, ctx)],
    Squeeze: (node, inputs, ctx) => [squeezeRule(node, inputs, ctx)],
    Unsqueeze: (node, inputs, ctx) => [unsqueezeRule(node, inputs, ctx)],
    Pad: (node, inputs, ctx) => [padRule(node, inputs, ctx)],
    Gather: (node, inputs, ctx) => [gatherRule(node, inputs, ctx)],
    GatherElements: (_node, [data, indices]) => [{ dataType: data?.dataType ?? 0, shape: indices?.shape }],
    Expand: (node, inputs, ctx) => [expandRule(node, inputs, ctx)],
    Tile: (node, inputs, ctx) => [tileRule(node, inputs, ctx)],
    DepthToSpace: (node, [x]) => {
      const b = attrInt(node, 'blocksize', 1);
      const xs = x?.shape;
      const scale = (d: Dim, f: number): Dim => (typeof d === 'number' ? d * f : null);
      return [
        {
          dataType: x?.dataType ?? 0,
          shape: xs && [
            xs[0],
            typeof xs[1] === 'number' ? xs[1] / (b * b) : null,
            scale(xs[2], b),
            scale(xs[3], b),
          ],
        },
      ];
    },
    SpaceToDepth: (node, [x]) => {
      const b = attrInt(node, 'blocksize', 1);
      const xs = x?.shape;
      const div = (d: Dim): Dim => (typeof d === 'number' ? d / b : null);
      return [
        {
          dataType: x?.dataType ?? 0,
          shape: xs && [xs[0], typeof xs[1] === 'number' ? xs[1] * b * b : null, div(xs[2]), div(xs[3])],
        },
      ];
    },
  };
}
