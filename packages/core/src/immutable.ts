/**
 * Copies the structure of a value (plain objects, arrays, Maps, Sets) while sharing binary data
 * (typed arrays, ArrayBuffers), so that a 100 MB model costs only its node count to copy.
 *
 * @example
 * const copy = cloneStructure(graph); copy.nodes !== graph.nodes; copy.initializers[0].data === graph.initializers[0].data;
 */
export function cloneStructure<T>(value: T): T {
  return cloneInner(value, new Map()) as T;
}

function cloneInner(value: unknown, seen: Map<unknown, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(cloneInner(item, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(k, cloneInner(v, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    for (const v of value) out.add(cloneInner(v, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // class instances (e.g. Long) are shared
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const key of Object.keys(value)) out[key] = cloneInner((value as Record<string, unknown>)[key], seen);
  return out;
}

/**
 * Freezes a value deeply (objects and arrays; binary data cannot be frozen and is left as is),
 * so that any attempt to mutate it throws in strict-mode code.
 *
 * @example
 * const frozen = deepFreeze({ nodes: [{ name: 'a' }] }); // frozen.nodes.push(...) throws
 */
export function deepFreeze<T>(value: T): T {
  freezeInner(value, new Set());
  return value;
}

function freezeInner(value: unknown, seen: Set<unknown>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  seen.add(value);
  if (value instanceof Map) {
    for (const [, v] of value) freezeInner(v, seen);
    Object.freeze(value);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return;
  for (const key of Object.keys(value)) freezeInner((value as Record<string, unknown>)[key], seen);
  Object.freeze(value);
}
