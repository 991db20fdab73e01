import {
  getKernel,
  type KernelBackend,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/**
 * Runs registered kernels of one backend directly (without the engine or its tape), keeping track
 * of every intermediate result so that a composed kernel frees them all at the end. This is how
 * the training kernels of this package are built from kernels that the backend already has.
 *
 * @example
 * const k = new KernelComposer(backend, 'wasm');
 * try {
 *   const t = k.run('Transpose', { x }, { perm: [3, 1, 2, 0] });
 *   return k.keep(k.run('Reshape', { x: t }, { shape: [n, -1] }));
 * } finally {
 *   k.dispose();
 * }
 */
export class KernelComposer {
  private readonly outputs: TensorInfo[] = [];
  private readonly kept = new Set<TensorInfo>();
  private last: TensorInfo[] = [];

  constructor(
    readonly backend: KernelBackend,
    readonly backendName: string,
  ) {}

  /** Runs kernel `name` of this backend; its (first) output is freed by {@link dispose} unless kept. */
  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(name, this.backendName);
    if (!kernel) throw new Error(`kernel '${name}' is not registered for backend '${this.backendName}'`);
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    const outs = Array.isArray(out) ? out : [out];
    this.outputs.push(...outs);
    this.last = outs;
    return outs[0]!;
  }

  /** All outputs of the latest {@link run} (for kernels with several outputs). */
  lastOutputs(): readonly TensorInfo[] {
    return this.last;
  }

  /** A float32 tensor of `values` written to the backend; freed by {@link dispose} unless kept. */
  constant(values: Float32Array, shape: number[]): TensorInfo {
    const dataId = this.backend.write(values, shape, 'float32');
    const info: TensorInfo = { dataId, shape, dtype: 'float32' };
    this.outputs.push(info);
    return info;
  }

  /** `x` with the given shape (shares data). */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** `x` with its axes permuted. */
  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return perm.every((p, i) => p === i) ? x : this.run('Transpose', { x }, { perm });
  }

  /**
   * Pads (positive amounts) or crops (negative amounts) each axis by `[before, after]`.
   * Returns `x` itself when nothing changes.
   */
  padOrCrop(x: TensorInfo, amounts: Array<[number, number]>): TensorInfo {
    let out = x;
    const crop = amounts.some(([a, b]) => a < 0 || b < 0);
    const pad = amounts.some(([a, b]) => a > 0 || b > 0);
    if (crop) {
      const begin = amounts.map(([a]) => Math.max(0, -a));
      const size = out.shape.map((d, i) => d - begin[i]! - Math.max(0, -amounts[i]![1]));
      if (size.some((s) => s <= 0))
        throw new Error(`crop of [${x.shape}] by ${JSON.stringify(amounts)} leaves nothing`);
      out = this.run('Slice', { x: out }, { begin, size });
    }
    if (pad) {
      const paddings = amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      out = this.run('PadV2', { x: out }, { paddings, constantValue: 0 });
    }
    return out;
  }

  /** Sum over `axes` (dropped). */
  sum(x: TensorInfo, axes: number[]): TensorInfo {
    return this.run('Sum', { x }, { axis: axes, keepDims: false });
  }

  /** Whether `x` was produced by this composer (rather than being one of the kernel's inputs). */
  made(x: TensorInfo): boolean {
    return this.outputs.includes(x);
  }

  /** Marks `x` as the result: {@link dispose} leaves it alive. */
  keep<T extends TensorInfo>(x: T): T {
    this.kept.add(x);
    return x;
  }

  /** Frees every intermediate result except those kept. */
  dispose(): void {
    for (const t of this.outputs) {
      if (!this.kept.has(t)) this.backend.disposeData(t.dataId);
    }
    this.outputs.length = 0;
  }
}

/**
 * Runs `body` with a fresh {@link KernelComposer}, keeps what it returns and frees the rest.
 *
 * @example
 * const out = compose(backend, 'wasm', (k) => k.transpose(x, [0, 2, 1]));
 */
export function compose(
  backend: unknown,
  backendName: string,
  body: (k: KernelComposer) => TensorInfo,
): TensorInfo {
  const k = new KernelComposer(backend as KernelBackend, backendName);
  try {
    let out = body(k);
    // `out` may be an input (nothing to do): hand back a copy that the engine can own.
    if (!k.made(out)) out = k.run('Identity', { x: out });
    return k.keep(out);
  } finally {
    k.dispose();
  }
}
