import { engine } from '@tensorflow/tfjs-core';

interface TapeNodeLike {
  id: number;
}

interface EngineLike {
  state: { activeTape: TapeNodeLike[] | null };
  runKernelFunc: (params: unknown) => unknown;
  [PATCH]?: (params: unknown) => unknown;
}

const PATCH = Symbol.for('metacompress.backend-tfjs.tapeOrderFix');

/**
 * Makes tfjs-core's second (and higher) derivatives correct through ops that save tensors for
 * their gradient — exp, sigmoid, tanh, softmax, sqrt, every `customGrad` op (logSoftmax, fused
 * ops), and any op that saves its inputs.
 *
 * The bug (tfjs-core 4.22, `Engine.runKernelFunc`): a saved tensor is a clone (`Identity`) recorded
 * on the tape *while the kernel runs*, i.e. before the tape node of the kernel that produced the
 * tensor being cloned. The tape is then no longer in topological order, and backpropagation,
 * which walks it backwards (and prunes it forwards from `x`), drops every path that goes through a
 * saved output: d²/dx² of `exp(x)·exp(x)` at 0.5 comes out as 5.437 instead of 10.873, silently.
 * First derivatives are unaffected (they never differentiate through the saved clones).
 *
 * The fix wraps `runKernelFunc` of the engine instance: after a kernel has run, its own tape node
 * (always the last one added) is moved in front of the clones recorded while it ran. Nothing else
 * changes: same kernels, same tensors, same first derivatives. Idempotent; returns whether it
 * installed anything.
 *
 * @example
 * installTapeOrderFix();
 * const d2 = tf.grad(tf.grad((x) => tf.mul(tf.exp(x), tf.exp(x))))(tf.scalar(0.5)); // 10.873
 */
export function installTapeOrderFix(target: unknown = engine()): boolean {
  const eng = target as EngineLike;
  if (eng[PATCH]) return false;
  const original = eng.runKernelFunc;
  eng[PATCH] = original;
  eng.runKernelFunc = function patchedRunKernelFunc(this: EngineLike, params: unknown) {
    const tape = this.state.activeTape;
    const start = tape ? tape.length : 0;
    const result = original.call(this, params);
    if (tape && this.state.activeTape === tape && tape.length > start + 1) {
      const own = tape.pop()!;
      tape.splice(start, 0, own);
    }
    return result;
  };
  return true;
}

/**
 * Removes {@link installTapeOrderFix} (for tests that show the stock behaviour). Returns whether
 * anything was removed.
 *
 * @example
 * uninstallTapeOrderFix();
 */
export function uninstallTapeOrderFix(target: unknown = engine()): boolean {
  const eng = target as EngineLike;
  const original = eng[PATCH];
  if (!original) return false;
  eng.runKernelFunc = original;
  delete eng[PATCH];
  return true;
}

/**
 * Whether {@link installTapeOrderFix} is active on the engine.
 *
 * @example
 * if (!isTapeOrderFixInstalled()) installTapeOrderFix();
 */
export function isTapeOrderFixInstalled(target: unknown = engine()): boolean {
  return (target as EngineLike)[PATCH] !== undefined;
}
