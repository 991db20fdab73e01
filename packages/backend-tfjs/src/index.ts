/**
 * @packageDocumentation
 * A differentiable TensorFlow.js executor of the Metacompress IR (tfjs-node, wasm with training kernels, or cpu).
 */
export {};
