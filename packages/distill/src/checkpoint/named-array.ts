/**
 * A named float32 array with its shape: how weights, optimizer slots and adapters travel in a
 * checkpoint.
 *
 * @example
 * const w: NamedArray = { name: 'conv1.weight', dims: [16, 1, 3, 3], data: new Float32Array(144) };
 */
export interface NamedArray {
  name: string;
  dims: number[];
  data: Float32Array;
}
