import { createRequire } from 'node:module';
import { getGradient } from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * Makes sure tfjs-core's gradient functions are registered. The Node build of
 * `@tensorflow/tfjs-core` ships none (they live in its ES-module `register_all_gradients`, which
 * bundlers and the `@tensorflow/tfjs` umbrella import); `@tensorflow/tfjs-layers`' Node build
 * registers all of them when loaded, so it is loaded here when they are missing.
 * Throws `MC_NO_BACKEND` when no source of gradients is installed.
 *
 * @example
 * ensureCoreGradients();
 * tf.grad((x) => tf.sum(tf.exp(x)))(tf.tensor([1, 2]));
 */
export function ensureCoreGradients(from: string = import.meta.url): void {
  if (hasCoreGradients()) return;
  const require = createRequire(from);
  const tried: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-layers', '@tensorflow/tfjs']) {
    try {
      require(pkg);
    } catch (error) {
      tried.push(`${pkg}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      continue;
    }
    if (hasCoreGradients()) return;
    tried.push(`${pkg}: loaded but registered no gradients`);
  }
  throw new MetacompressError(
    ErrorCodes.NO_BACKEND,
    `TensorFlow.js gradient functions are not registered and could not be loaded (${tried.join('; ')})`,
    { backend: 'tfjs' },
  );
}

/**
 * Whether the gradient functions of tfjs-core's ops are registered in this process.
 *
 * @example
 * if (!hasCoreGradients()) ensureCoreGradients();
 */
export function hasCoreGradients(): boolean {
  return getGradient('Sum') != null && getGradient('Conv2D') != null && getGradient('Softmax') != null;
}
