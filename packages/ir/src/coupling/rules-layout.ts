import type { ChannelRuleContext, ChannelValue, SpanRef } from './channel-rule';
import {
  DYNAMIC,
  floatsFrom,
  int64Tensor,
  intAttr,
  intsFrom,
  normAxis,
  productOf,
  widthOf,
} from './rule-helpers';

/** Flatten: provable only when the channel axis is the first flattened axis (e.g. [N,C,H,W] at axis 1). */
export function flattenRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const axis = normAxis(intAttr(ctx, 'axis', 1), x.rank);
  if (x.rank === 2 && axis === 1 && x.axis === 1) {
    ctx.setOutput(0, x);
    return;
  }
  if (x.axis !== axis || x.span.value !== 1) {
    ctx.block(x, `Flatten at axis ${axis} mixes the channel axis ${x.axis} with other axes`);
    return;
  }
  const shape = ctx.shape(0);
  let span = 0;
  if (x.axis === x.rank - 1) span = 1;
  else if (shape && shape.length === x.rank) span = productOf(shape.slice(x.axis + 1)) ?? 0;
  ctx.setOutput(0, ctx.view(x, 1, 2, { value: span }));
}

/**
 * Reshape with a constant target: provable when it flattens [N, C, ...] to [N, C·S] (like Flatten)
 * or keeps every axis up to the channel axis; a literal channel count is rewritten on removal.
 */
export function reshapeRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const target = intsFrom(ctx, 1);
  if (!target || target === DYNAMIC) {
    // A target computed at run time from Shape (e.g. torch's x.view(x.size(0), -1)) adapts to the
    // pruned tensor by itself: accept [batch, -1] of an [N, C, ...] input.
    const known = ctx.knownElements(1);
    const n0 = ctx.shape(0)?.[0];
    if (
      known &&
      known.length === 2 &&
      known[1] === -1 &&
      x.axis === 1 &&
      x.span.value === 1 &&
      known[0] !== null &&
      known[0] === n0
    ) {
      const shape = ctx.shape(0);
      const span = x.rank === 2 ? 1 : shape && shape.length === x.rank ? (productOf(shape.slice(2)) ?? 0) : 0;
      ctx.setOutput(0, ctx.view(x, 1, 2, x.rank === 2 ? x.span : { value: span }));
      return;
    }
    ctx.block(x, `Reshape to a computed shape cannot be proven to keep channels (fold constants first)`);
    return;
  }
  const allowZero = intAttr(ctx, 'allowzero', 0) === 1;
  const inShape = ctx.shape(0);
  const c = x.atoms.length;
  const minusOnes = target.filter((t) => t === -1).length;
  const setTarget = (position: number, value: ChannelValue, mode: 'width' | 'count'): void => {
    ctx.onRemove((e) => {
      const next = [...target];
      next[position] = mode === 'width' ? e.keptWidth(value) : e.keptCount(value);
      e.setInputConstant(1, int64Tensor(ctx.node.inputs[1], next));
    });
  };
  // Case A: [N, C, ...] -> [N, C*S]
  if (target.length === 2 && x.axis === 1 && x.span.value === 1 && x.rank >= 2) {
    const [t0, t1] = target;
    const n0 = inShape?.[0];
    const batchKept =
      (t0 === 0 && !allowZero) || (t0 === -1 && t1 > 0) || (typeof n0 === 'number' && t0 === n0 && t0 > 0);
    if (batchKept && (t1 === -1 || t1 > 0)) {
      let span = 0;
      if (x.rank === 2) span = 1;
      else if (inShape && inShape.length === x.rank) span = productOf(inShape.slice(2)) ?? 0;
      if (span === 0 && t1 > 0 && t1 % c === 0) span = t1 / c;
      if (t1 > 0 && span > 0 && t1 !== c * span) {
        ctx.block(x, `Reshape to [${target.join(', ')}] does not keep ${c} channels × ${span}`);
        return;
      }
      const spanRef: SpanRef = x.rank === 2 ? x.span : { value: span };
      const out = ctx.view(x, 1, 2, spanRef);
      if (t1 > 0) setTarget(1, out, 'width');
      ctx.setOutput(0, out);
      return;
    }
  }
  // Case B: every axis up to the channel axis is kept.
  if (x.span.value === 1 && inShape && inShape.length === x.rank && target.length > x.axis) {
    let ok = true;
    for (let k = 0; k <= x.axis && ok; k++) {
      const t = target[k];
      if (k === x.axis) ok = t === c || (t === 0 && !allowZero);
      else
        ok =
          (t === 0 && !allowZero) ||
          (t === -1 && k === 0 && minusOnes === 1) ||
          (typeof inShape[k] === 'number' && t === inShape[k]);
    }
    if (ok) {
      const out = ctx.view(x, x.axis, target.length);
      if (target[x.axis] === c) setTarget(x.axis, out, 'count');
      ctx.setOutput(0, out);
      return;
    }
  }
  ctx.block(x, `Reshape to [${target.join(', ')}] cannot be proven to keep the channel axis ${x.axis}`);
}

/** Transpose moves the channel axis. */
export function transposeRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const a = ctx.node.attributes.perm;
  const perm =
    a?.type === 'ints'
      ? a.value.map((p) => normAxis(p, x.rank))
      : Array.from({ length: x.rank }, (_, i) => x.rank - 1 - i);
  const out = perm.indexOf(x.axis);
  if (perm.length !== x.rank || out < 0) {
    ctx.block(x, `perm [${perm.join(', ')}] does not fit rank ${x.rank}`);
    return;
  }
  ctx.setOutput(0, ctx.view(x, out, x.rank));
}

function axesInput(ctx: ChannelRuleContext, since: number): number[] | undefined | typeof DYNAMIC {
  return ctx.opset >= since ? intsFrom(ctx, 1) : intsFrom(ctx, -1, 'axes');
}

/** Squeeze of axes other than the channel axis. */
export function squeezeRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  let axes = axesInput(ctx, 13);
  if (axes === DYNAMIC) return ctx.block(x, 'Squeeze axes are computed');
  if (!axes) {
    const shape = ctx.shape(0);
    if (!shape || shape.length !== x.rank || shape.some((d) => typeof d !== 'number'))
      return ctx.block(x, 'Squeeze without axes on a tensor of unknown shape');
    axes = shape.flatMap((d, i) => (d === 1 ? [i] : []));
  }
  const norm = axes.map((a) => normAxis(a, x.rank));
  if (norm.includes(x.axis)) return ctx.block(x, 'Squeeze removes the channel axis');
  const out = x.axis - norm.filter((a) => a < x.axis).length;
  ctx.setOutput(0, ctx.view(x, out, x.rank - new Set(norm).size));
}

/** Unsqueeze shifts the channel axis. */
export function unsqueezeRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const axes = axesInput(ctx, 13);
  if (!axes || axes === DYNAMIC) return ctx.block(x, 'Unsqueeze axes are unknown');
  const outRank = x.rank + axes.length;
  const inserted = new Set(axes.map((a) => normAxis(a, outRank)));
  let i = 0;
  for (let j = 0; j < outRank; j++) {
    if (inserted.has(j)) continue;
    if (i === x.axis) {
      ctx.setOutput(0, ctx.view(x, j, outRank));
      return;
    }
    i++;
  }
  ctx.block(x, `Unsqueeze axes [${axes.join(', ')}] do not fit rank ${x.rank}`);
}

/**
 * Concat along the channel axis lays the inputs' channels side by side (untracked inputs become
 * unprunable channels); along another axis it couples the inputs channel by channel.
 */
export function concatRule(ctx: ChannelRuleContext): void {
  const { node } = ctx;
  const tracked: { i: number; v: ChannelValue }[] = [];
  node.inputs.forEach((_, i) => {
    const v = ctx.input(i);
    if (v) tracked.push({ i, v });
  });
  if (tracked.length === 0) return;
  const blockAll = (why: string): void => tracked.forEach((t) => ctx.block(t.v, why));
  const first = tracked[0].v;
  const rank = first.rank;
  if (tracked.some((t) => t.v.rank !== rank)) return blockAll('inputs of different ranks');
  const axis = normAxis(intAttr(ctx, 'axis', 0), rank);
  if (tracked.every((t) => t.v.axis === axis)) {
    const span = first.span.value;
    if (span === 0 || tracked.some((t) => t.v.span.value !== span))
      return blockAll('inputs with different elements per channel');
    const parts: ChannelValue[] = [];
    for (let i = 0; i < node.inputs.length; i++) {
      const name = node.inputs[i];
      if (!name) continue;
      const v = ctx.input(i);
      if (v) {
        parts.push(v);
        continue;
      }
      const d = ctx.shape(i)?.[axis];
      if (typeof d !== 'number' || d % span !== 0)
        return blockAll(`input ${i} ('${name}') has an unknown size on the concat axis`);
      if (d > 0)
        parts.push(ctx.opaque(d / span, axis, rank, `${ctx.label}: Concat input '${name}' is not tracked`));
    }
    const spanRef: SpanRef = span === 1 ? { value: 1 } : first.span;
    ctx.setOutput(0, ctx.concat(parts, axis, rank, spanRef));
    return;
  }
  if (tracked.some((t) => t.v.axis === axis))
    return blockAll('inputs carry channels on the concat axis and on another axis');
  for (const t of tracked.slice(1)) {
    if (t.v.axis !== first.axis) {
      ctx.block(first, 'inputs carry channels on different axes');
      ctx.block(t.v, 'inputs carry channels on different axes');
    } else ctx.couple(first, t.v);
  }
  for (let i = 0; i < node.inputs.length; i++) {
    const name = node.inputs[i];
    if (!name || ctx.input(i)) continue;
    const shape = ctx.shape(i);
    const d = shape?.[first.axis];
    if (ctx.constant(i) && d === widthOf(first) && shape?.length === rank)
      ctx.addSlice(i, first.axis, first, 'param');
    else ctx.block(first, `input ${i} ('${name}') is not tracked but must match the channel axis`);
  }
  ctx.setOutput(0, first);
}

/** Split along the channel axis hands each output a range of channels (sizes are rewritten on removal); along another axis every output carries all channels. */
export function splitRule(ctx: ChannelRuleContext): void {
  const { node } = ctx;
  const x = ctx.input(0);
  if (!x) return;
  const axis = normAxis(intAttr(ctx, 'axis', 0), x.rank);
  const outputs = node.outputs.length;
  if (axis !== x.axis) {
    for (let i = 0; i < outputs; i++) ctx.setOutput(i, x);
    return;
  }
  const span = x.span.value;
  if (span === 0) return ctx.block(x, 'Split of channels whose size is unknown');
  const width = widthOf(x);
  let sizes = ctx.opset >= 13 ? intsFrom(ctx, 1) : intsFrom(ctx, -1, 'split');
  if (sizes === DYNAMIC) return ctx.block(x, 'Split sizes are computed');
  const numOutputs = intAttr(ctx, 'num_outputs', 0);
  if (!sizes) {
    const parts = numOutputs || outputs;
    if (numOutputs) {
      const chunk = Math.ceil(width / parts);
      sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, width - i * chunk)));
    } else {
      if (width % parts !== 0) return ctx.block(x, `Split of ${width} elements into ${parts} equal parts`);
      sizes = new Array<number>(parts).fill(width / parts);
    }
  }
  if (sizes.reduce((s, n) => s + n, 0) !== width || sizes.some((s) => s % span !== 0)) {
    return ctx.block(x, `Split sizes [${sizes.join(', ')}] do not cover ${x.atoms.length} channels`);
  }
  const parts: ChannelValue[] = [];
  let start = 0;
  sizes.forEach((s, i) => {
    const part = ctx.sliceOf(x, start / span, s / span);
    parts.push(part);
    start += s;
    ctx.setOutput(i, part);
  });
  ctx.onRemove((e) => {
    const next = parts.map((p) => e.keptWidth(p));
    if (ctx.opset >= 13) {
      e.setAttribute('num_outputs', undefined);
      e.setInputConstant(1, int64Tensor(node.inputs[1] || `${node.outputs[0]}_split_sizes`, next));
    } else e.setAttribute('split', { type: 'ints', value: next });
  });
}

/** Slice: passes channels through unless it cuts the channel axis. */
export function sliceRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const old = ctx.opset < 10;
  const starts = old ? intsFrom(ctx, -1, 'starts') : intsFrom(ctx, 1);
  const ends = old ? intsFrom(ctx, -1, 'ends') : intsFrom(ctx, 2);
  const axes = old ? intsFrom(ctx, -1, 'axes') : intsFrom(ctx, 3);
  const steps = old ? undefined : intsFrom(ctx, 4);
  if (!starts || !ends || starts === DYNAMIC || ends === DYNAMIC || axes === DYNAMIC || steps === DYNAMIC) {
    return ctx.block(x, 'Slice bounds are computed');
  }
  const axisList = axes ?? starts.map((_, i) => i);
  const width = widthOf(x);
  for (let k = 0; k < axisList.length; k++) {
    if (normAxis(axisList[k], x.rank) !== x.axis) continue;
    const clamp = (v: number): number => Math.max(0, Math.min(width, v < 0 ? v + width : v));
    const full = (steps?.[k] ?? 1) === 1 && clamp(starts[k]) === 0 && clamp(ends[k]) === width;
    if (!full) return ctx.block(x, 'Slice cuts the channel axis');
  }
  ctx.setOutput(0, x);
}

/** Pad: passes channels through when nothing is padded on the channel axis. */
export function padRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const pads =
    ctx.opset >= 11 ? intsFrom(ctx, 1) : intsFrom(ctx, -1, ctx.node.attributes.pads ? 'pads' : 'paddings');
  const axes = ctx.opset >= 18 ? intsFrom(ctx, 3) : undefined;
  if (!pads || pads === DYNAMIC || axes === DYNAMIC) return ctx.block(x, 'Pad amounts are computed');
  const axisList = axes ? axes.map((a) => normAxis(a, x.rank)) : Array.from({ length: x.rank }, (_, i) => i);
  const n = axisList.length;
  const k = axisList.indexOf(x.axis);
  if (k >= 0 && (pads[k] !== 0 || pads[k + n] !== 0)) return ctx.block(x, 'Pad pads the channel axis');
  ctx.setOutput(0, x);
}

/** Resize/Upsample: channels pass through when the channel axis is not scaled; literal sizes are rewritten. */
export function resizeRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const { node } = ctx;
  if (node.attributes.axes) return ctx.block(x, 'Resize with an axes attribute is not supported');
  if (node.opType === 'Upsample' || ctx.opset < 11) {
    const scales =
      node.opType === 'Upsample' && ctx.opset < 9 ? floatsFrom(ctx, -1, 'scales') : floatsFrom(ctx, 1);
    if (!scales || scales === DYNAMIC || scales[x.axis] !== 1)
      return ctx.block(x, 'the channel axis may be scaled');
    return ctx.setOutput(0, x);
  }
  const sizes = node.inputs[3] ? intsFrom(ctx, 3) : undefined;
  if (sizes === DYNAMIC) return ctx.block(x, 'Resize sizes are computed');
  if (sizes && sizes.length > 0) {
    if (sizes.length !== x.rank || sizes[x.axis] !== widthOf(x))
      return ctx.block(x, 'Resize sizes change the channel axis');
    ctx.onRemove((e) => {
      const next = [...sizes];
      next[x.axis] = e.keptWidth(x);
      e.setInputConstant(3, int64Tensor(node.inputs[3], next));
    });
    return ctx.setOutput(0, x);
  }
  const scales = floatsFrom(ctx, 2);
  if (!scales || scales === DYNAMIC || scales[x.axis] !== 1)
    return ctx.block(x, 'the channel axis may be scaled');
  ctx.setOutput(0, x);
}

/** Expand: channels pass through when the target shape broadcasts (1) or names them (rewritten). */
export function expandRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const shape = intsFrom(ctx, 1);
  if (!shape || shape === DYNAMIC) return ctx.block(x, 'Expand shape is computed');
  const outRank = Math.max(x.rank, shape.length);
  const outAxis = x.axis + outRank - x.rank;
  const k = outAxis - (outRank - shape.length);
  const d = k >= 0 ? shape[k] : 1;
  const out = ctx.view(x, outAxis, outRank);
  if (d === widthOf(x) && d !== 1) {
    ctx.onRemove((e) => {
      const next = [...shape];
      next[k] = e.keptWidth(out);
      e.setInputConstant(1, int64Tensor(ctx.node.inputs[1], next));
    });
  } else if (d !== 1) return ctx.block(x, `Expand to ${d} on the channel axis`);
  ctx.setOutput(0, out);
}

/** Tile: channels pass through when the channel axis is not repeated. */
export function tileRule(ctx: ChannelRuleContext): void {
  const x = ctx.input(0);
  if (!x) return;
  const repeats = intsFrom(ctx, 1);
  if (!repeats || repeats === DYNAMIC || repeats[x.axis] !== 1)
    return ctx.block(x, 'Tile may repeat the channel axis');
  ctx.setOutput(0, x);
}
