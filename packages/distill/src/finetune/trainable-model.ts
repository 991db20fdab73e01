import type * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '@metacompress/ir';
import type { NamedVariable } from '../optim/optimizer';
import type { FakeQuantSpec } from '../qat/fake-quant';

/**
 * What a forward pass returns: the model's first output and any intermediate values asked for.
 *
 * @example
 * const { logits, values } = model.forward(x, { training: false, outputs: ['relu1'] });
 */
export interface ForwardResult {
  /** The first graph output, `[batch, classes]`. */
  logits: tf.Tensor;
  /** Intermediate values by name, in logical (ONNX, channels on axis 1) order. */
  values: Record<string, tf.Tensor>;
}

/**
 * A graph made runnable and trainable on TensorFlow.js: what the fine-tune needs from an executor.
 * {@link executorModelFactory} builds one on `@metacompress/backend-tfjs`; tests and other
 * packages may supply their own (e.g. a model with soft channel masks).
 *
 * @example
 * const model: TrainableModel = await createExecutorModelFactory()(graph, { role: 'student' });
 */
export interface TrainableModel {
  /** Trainable parameters, in a fixed order (the order gradients and optimizer slots follow). */
  readonly params: readonly NamedVariable[];
  /** Other variables that training changes (BatchNormalization running statistics): saved in checkpoints. */
  readonly state?: readonly NamedVariable[];
  /**
   * Runs the model on a batch. Called inside `tf.tidy`/`tf.variableGrads` by the fine-tune, so
   * it may allocate freely. `training` selects training-mode behaviour (e.g. Dropout).
   */
  forward(inputs: tf.Tensor, options: { training: boolean; outputs?: readonly string[] }): ForwardResult;
  /** Called after every optimizer update (e.g. to apply BatchNormalization running-stat updates). */
  afterStep?(): void;
  /** The graph with the current parameter values. */
  toGraph(): Graph;
  dispose(): void;
}

/**
 * How the fine-tune turns a graph into a {@link TrainableModel}.
 *
 * @example
 * await finetune(graph, { train, steps: 10, model: myFactory as ModelFactory });
 */
export type ModelFactory = (graph: Graph, options: ModelFactoryOptions) => Promise<TrainableModel>;

/**
 * Options a {@link ModelFactory} receives.
 *
 * @example
 * await factory(graph, { role: 'teacher', outputs: ['/layer1/Relu_output_0'] });
 */
export interface ModelFactoryOptions {
  /** `student` (trained) or `teacher` (only run). */
  role: 'student' | 'teacher';
  /** Which float initializers to train (student only; default every float initializer). */
  trainable?: (initializer: string) => boolean;
  /** Intermediate values the forward pass must be able to return. */
  outputs?: readonly string[];
  /** Weights and activations to fake-quantize (straight-through estimator) in every forward pass. */
  fakeQuant?: readonly FakeQuantSpec[];
  /** BatchNormalization while training the student: running statistics (`frozen`) or batch statistics (`batch`). */
  batchNorm?: 'frozen' | 'batch';
}
