import type { Graph } from '@metacompress/ir';
import { lenetGraph } from '../src/test-graphs';

/** A LeNet-5 IR graph with seeded random weights, for benchmarking when no fixture exists. */
export function generatedLenet(seed: number): Graph {
  return lenetGraph(seed);
}
