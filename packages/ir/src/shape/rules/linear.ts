import { attrInt } from '../../attributes';
import { DataType } from '../../dtype';
import type { Dim, Node } from '../../graph';
import { broadcastDims } from '../dims';
import type { ShapeContext, ShapeRule } from '../shape-rule';
import type { ValueShape } from '../value-shape';

function gemmShape(
  node: Node,
  ctx: ShapeContext,
  a: ValueShape | undefined,
  b: ValueShape | undefined,
  c: ValueShape | undefined,
  idx: { b: number; c: number },
  dataType: number,
): ValueShape {
  const as = a?.shape;
  const bs = b?.shape;
  const transA = attrInt(node, 'transA', 0) !== 0;
  const transB = attrInt(node, 'transB', 0) !== 0;
  if (as && as.length !== 2) ctx.fail('input[0]', `Gemm needs a 2-D A, got rank ${as.length}`);
  if (bs && bs.length !== 2) ctx.fail(`input[${idx.b}]`, `Gemm needs a 2-D B, got rank ${bs.length}`);
  const m: Dim = as ? as[transA ? 1 : 0] : null;
  const ka: Dim = as ? as[transA ? 0 : 1] : null;
  const kbAxis = transB ? 1 : 0;
  const kb: Dim = bs ? bs[kbAxis] : null;
  const n: Dim = bs ? bs[transB ? 0 : 1] : null;
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) {
    ctx.fail(
      `B.dims[${kbAxis}]`,
      `inner dimensions differ: A gives K = ${ka}${transA ? ' (transA)' : ''}, B gives K = ${kb}${transB ? ' (transB)' : ''} (A [${as!.join(', ')}], B [${bs!.join(', ')}])`,
    );
  }
  const cs = c?.shape;
  if (cs) {
    // C must broadcast unidirectionally to [M, N]
    broadcastDims([[m, n], cs], (_f, reason) =>
      ctx.fail(`input[${idx.c}]`, `C does not broadcast to [M, N]: ${reason}`),
    );
    if (cs.length > 2) ctx.fail(`input[${idx.c}]`, `C has rank ${cs.length} (at most 2)`);
  }
  return { dataType, shape: as || bs ? [m, n] : undefined };
}

function matmulShape(
  ctx: ShapeContext,
  a: ValueShape | undefined,
  b: ValueShape | undefined,
  dataType: number,
  bIndex = 1,
  trans = { a: false, b: false },
): ValueShape {
  const as0 = a?.shape;
  const bs0 = b?.shape;
  if (!as0 || !bs0) return { dataType };
  if (as0.length === 0 || bs0.length === 0)
    ctx.fail(as0.length === 0 ? 'input[0]' : `input[${bIndex}]`, 'MatMul inputs must have rank ≥ 1');
  const swapLast = (s: readonly Dim[]): Dim[] =>
    s.length >= 2 ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : [...s];
  let as = trans.a ? swapLast(as0) : [...as0];
  let bs = trans.b ? swapLast(bs0) : [...bs0];
  const aVec = as.length === 1;
  const bVec = bs.length === 1;
  if (aVec) as = [1, as[0]];
  if (bVec) bs = [bs[0], 1];
  const ka = as[as.length - 1];
  const kb = bs[bs.length - 2];
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) {
    const axis = bVec ? 0 : bs0.length - 2;
    ctx.fail(
      `B.dims[${axis}]`,
      `inner dimensions differ: A [${as0.join(', ')}] has K = ${ka}, B [${bs0.join(', ')}] has K = ${kb}`,
    );
  }
  const batch = broadcastDims([as.slice(0, -2), bs.slice(0, -2)], (f, r) =>
    ctx.fail(f === 'input[1]' ? `input[${bIndex}]` : f, `batch dims: ${r}`),
  );
  const shape: Dim[] = [...batch];
  if (!aVec) shape.push(as[as.length - 2]);
  if (!bVec) shape.push(bs[bs.length - 1]);
  return { dataType, shape };
}

/** Gemm, MatMul and their quantized / fused variants. */
export function linearRules(): Record<string, ShapeRule> {
  return {
    Gemm: (node, [a, b, c], ctx) => [
      gemmShape(node, ctx, a, b, c, { b: 1, c: 2 }, a?.dataType ?? b?.dataType ?? 0),
    ],
    'com.microsoft:FusedGemm': (node, [a, b, c], ctx) => [
      gemmShape(node, ctx, a, b, c, { b: 1, c: 2 }, a?.dataType ?? 0),
    ],
    // QGemm: A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp — float output without y_scale.
    'com.microsoft:QGemm': (node, inputs, ctx) => [
      gemmShape(
        node,
        ctx,
        inputs[0],
        inputs[3],
        inputs[6],
        { b: 3, c: 6 },
        node.inputs[7] ? (inputs[8]?.dataType ?? DataType.UINT8) : DataType.FLOAT,
      ),
    ],
    MatMul: (_node, [a, b], ctx) => [matmulShape(ctx, a, b, a?.dataType ?? b?.dataType ?? 0)],
    MatMulInteger: (_node, [a, b], ctx) => [matmulShape(ctx, a, b, DataType.INT32)],
    QLinearMatMul: (_node, inputs, ctx) => [
      matmulShape(ctx, inputs[0], inputs[3], inputs[7]?.dataType ?? inputs[0]?.dataType ?? DataType.UINT8, 3),
    ],
    'com.microsoft:FusedMatMul': (node, [a, b], ctx) => [
      matmulShape(ctx, a, b, a?.dataType ?? 0, 1, {
        a: attrInt(node, 'transA', 0) !== 0,
        b: attrInt(node, 'transB', 0) !== 0,
      }),
    ],
  };
}
