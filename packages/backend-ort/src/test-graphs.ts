/**
 * Test and benchmark helpers (not published): small IR graphs with seeded random weights.
 */
import { createRng } from '@metacompress/core';
import type { Attribute, Dim, Graph, Node, Tensor } from '@metacompress/ir';
import { createTensor, DataType } from '@metacompress/ir';

function randomTensor(name: string, dims: number[], scale: number, rng: ReturnType<typeof createRng>): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.normal() * scale;
  return createTensor(name, DataType.FLOAT, dims, values);
}

const ints = (value: number[]): Attribute => ({ type: 'ints', value });
const int = (value: number): Attribute => ({ type: 'int', value });

function node(name: string, opType: string, inputs: string[], outputs: string[], attributes: Record<string, Attribute> = {}): Node {
  return { name, opType, domain: '', inputs, outputs, attributes };
}

function graph(name: string, nodes: Node[], input: { name: string; shape: Dim[] }, output: { name: string; shape: Dim[] }, initializers: Tensor[]): Graph {
  return {
    name,
    nodes,
    inputs: [{ name: input.name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: input.shape } }],
    outputs: [{ name: output.name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: output.shape } }],
    valueInfo: [],
    initializers,
    model: { irVersion: 7, opsetImports: [{ domain: '', version: 13 }], producerName: 'metacompress-test', metadataProps: [] },
  };
}

/**
 * LeNet-5 (the fixture's architecture) with seeded random weights: input `input` [N, 1, 28, 28],
 * output `logits` [N, 10]; intermediate values are named `conv1`, `relu1`, `pool1`, ..., `flat`,
 * `fc1`, `relu3`, `fc2`, `relu4`.
 */
export function lenetGraph(seed = 0, batch: Dim = 'N'): Graph {
  const rng = createRng(seed);
  const init = [
    randomTensor('conv1.w', [6, 1, 5, 5], 0.2, rng),
    randomTensor('conv1.b', [6], 0.1, rng),
    randomTensor('conv2.w', [16, 6, 5, 5], 0.08, rng),
    randomTensor('conv2.b', [16], 0.1, rng),
    randomTensor('fc1.w', [120, 400], 0.05, rng),
    randomTensor('fc1.b', [120], 0.1, rng),
    randomTensor('fc2.w', [84, 120], 0.09, rng),
    randomTensor('fc2.b', [84], 0.1, rng),
    randomTensor('fc3.w', [10, 84], 0.1, rng),
    randomTensor('fc3.b', [10], 0.1, rng),
  ];
  const nodes = [
    node('conv1', 'Conv', ['input', 'conv1.w', 'conv1.b'], ['conv1'], { kernel_shape: ints([5, 5]), pads: ints([2, 2, 2, 2]) }),
    node('relu1', 'Relu', ['conv1'], ['relu1']),
    node('pool1', 'MaxPool', ['relu1'], ['pool1'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }),
    node('conv2', 'Conv', ['pool1', 'conv2.w', 'conv2.b'], ['conv2'], { kernel_shape: ints([5, 5]) }),
    node('relu2', 'Relu', ['conv2'], ['relu2']),
    node('pool2', 'MaxPool', ['relu2'], ['pool2'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }),
    node('flat', 'Flatten', ['pool2'], ['flat'], { axis: int(1) }),
    node('fc1', 'Gemm', ['flat', 'fc1.w', 'fc1.b'], ['fc1'], { transB: int(1) }),
    node('relu3', 'Relu', ['fc1'], ['relu3']),
    node('fc2', 'Gemm', ['relu3', 'fc2.w', 'fc2.b'], ['fc2'], { transB: int(1) }),
    node('relu4', 'Relu', ['fc2'], ['relu4']),
    node('fc3', 'Gemm', ['relu4', 'fc3.w', 'fc3.b'], ['logits'], { transB: int(1) }),
  ];
  return graph('lenet5', nodes, { name: 'input', shape: [batch, 1, 28, 28] }, { name: 'logits', shape: [batch, 10] }, init);
}

/**
 * A two-layer perceptron `x` [batch, inputs] → MatMul `w1` → Add `b1` (value `pre`) → Relu (value
 * `hidden`) → MatMul `w2` → `logits` [batch, classes], with the weights returned for reference
 * computations.
 */
export function mlpGraph(
  seed: number,
  sizes: { inputs: number; hidden: number; classes: number },
  batch: Dim = 'N',
): { graph: Graph; w1: Float32Array; b1: Float32Array; w2: Float32Array } {
  const rng = createRng(seed);
  const w1 = randomTensor('w1', [sizes.inputs, sizes.hidden], 0.5, rng);
  const b1 = randomTensor('b1', [sizes.hidden], 0.5, rng);
  const w2 = randomTensor('w2', [sizes.hidden, sizes.classes], 0.5, rng);
  const nodes = [
    node('mm1', 'MatMul', ['x', 'w1'], ['mm1']),
    node('add1', 'Add', ['mm1', 'b1'], ['pre']),
    node('relu', 'Relu', ['pre'], ['hidden']),
    node('mm2', 'MatMul', ['hidden', 'w2'], ['logits']),
  ];
  const g = graph('mlp', nodes, { name: 'x', shape: [batch, sizes.inputs] }, { name: 'logits', shape: [batch, sizes.classes] }, [w1, b1, w2]);
  const f32 = (t: Tensor) => new Float32Array(t.raw!.slice().buffer);
  return { graph: g, w1: f32(w1), b1: f32(b1), w2: f32(w2) };
}
