import type { Dim } from '../graph';

/** Callback a helper uses to report an inconsistency (normally `ctx.fail`). */
export type Fail = (field: string, reason: string) => never;

/**
 * Multidirectional (numpy) broadcasting of shapes. A numeric dim other than 1 wins over symbols and
 * unknowns; equal symbols stay; different symbols, or a symbol against an unknown, give `null`.
 * Two different numeric dims, neither 1, are a mismatch reported through `fail` naming `input[i]`.
 *
 * @example
 * broadcastDims([['N', 3, 1], [4]], fail); // ['N', 3, 4]
 */
export function broadcastDims(
  shapes: readonly (readonly Dim[])[],
  fail: Fail,
  fieldOf: (i: number) => string = (i) => `input[${i}]`,
): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = new Array(rank);
  for (let k = 1; k <= rank; k++) {
    let num: number | undefined;
    let numFrom = -1;
    let sym: Dim | undefined; // string, or null once symbols disagree / unknown present
    let sawUnknownOrSym = false;
    shapes.forEach((s, i) => {
      if (s.length < k) return;
      const d = s[s.length - k];
      if (typeof d === 'number') {
        if (d === 1) return;
        if (num !== undefined && num !== d) {
          fail(
            fieldOf(i),
            `cannot broadcast dimension ${d} against ${num} (from ${fieldOf(numFrom)}) at axis -${k}`,
          );
        }
        num = d;
        numFrom = i;
      } else {
        if (!sawUnknownOrSym) sym = d;
        else if (sym !== d) sym = null;
        sawUnknownOrSym = true;
      }
    });
    out[rank - k] = num !== undefined ? num : sawUnknownOrSym ? (sym ?? null) : 1;
  }
  return out;
}

/**
 * Normalizes a possibly negative axis into [0, rank), reporting out-of-range axes.
 *
 * @example
 * normalizeAxis(-1, 4, fail, 'attribute.axis'); // 3
 */
export function normalizeAxis(axis: number, rank: number, fail: Fail, field: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    fail(field, `axis ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/**
 * Product of dims that tolerates one symbol: returns the symbol when all other dims are 1, a number
 * when all are numbers, else null.
 *
 * @example
 * dimProduct(['N', 1]); // 'N'
 * dimProduct([2, 3]); // 6
 */
export function dimProduct(dims: readonly Dim[]): Dim {
  let n = 1;
  let sym: Dim | undefined;
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else if (sym === undefined && d !== null) sym = d;
    else return null;
  }
  if (sym === undefined) return n;
  if (n === 0) return 0;
  return n === 1 ? sym : null;
}

/**
 * Checks that two dims can be equal; reports both numbers when they cannot.
 *
 * @example
 * checkSameDim(3, 'C', fail, 'W.dims[1]', 'input channels'); // ok
 */
export function checkSameDim(a: Dim, b: Dim, fail: Fail, field: string, what: string): void {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) fail(field, `${what}: ${a} vs ${b}`);
}

/**
 * Two dims are known to be equal (same number or same symbol).
 *
 * @example
 * sameDim('N', 'N'); // true
 */
export function sameDim(a: Dim, b: Dim): boolean {
  return a !== null && a === b;
}
