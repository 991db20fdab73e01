/**
 * @packageDocumentation
 * A differentiable TensorFlow.js executor of the Metacompress IR. It runs on `@tensorflow/tfjs-node`
 * when installed, otherwise on the wasm backend (with the training kernels wasm lacks, composed
 * from kernels it has), otherwise on the cpu backend (with its slow filter gradients replaced),
 * and says which. Importing this entry registers the `tfjs-node` (30), `tfjs-wasm` (20) and
 * `tfjs-cpu` (10) differentiable backends in core's registry; `@metacompress/backend-tfjs/base`
 * exports the same API without registering.
 *
 * @example
 * import { initTfjs } from '@metacompress/backend-tfjs';
 * const { tf, engine } = await initTfjs({ log: console.log }); // "TensorFlow.js engine: tfjs-wasm (SIMD, 1 thread)…"
 * const loss = (w: tf.Tensor) => tf.sum(tf.square(w));
 * const dw = tf.grad(loss)(tf.tensor([1, 2, 3]));
 */
import { registerTfjsBackends } from './backend/register';

export * from './base';

registerTfjsBackends();
