import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOrtWebBackend } from '@metacompress/backend-ort';
import { createTensor, DataType, decodeOnnx, encodeOnnx, loadOnnx, toFloat32 } from '@metacompress/ir';
import { sparsifyByMagnitude } from './magnitude-sparsity';
import { sparsifyNM } from './n-m-sparsity';
import { densifySparse, sparsityOf, storeSparse } from './sparse-storage';
import { FIXTURES, residualCnn } from './test-graphs';

describe('storeSparse / densifySparse', () => {
  it('sparsityOf counts exact zeros', () => {
    expect(sparsityOf(createTensor('w', DataType.FLOAT, [4], [0, 1, 0, 0]))).toBe(0.75);
  });

  it('moves only tensors that get smaller, and densify restores every value through an ONNX round trip', () => {
    const { graph: sparse } = sparsifyByMagnitude(residualCnn(), { keep: 0.1 });
    const stored = storeSparse(sparse);
    const moved = (stored.sparseInitializers ?? []).map(
      (s) => (s as { values: { name: string } }).values.name,
    );
    expect(moved.sort()).toEqual(['block.a.weight', 'block.b.weight', 'fc.weight', 'stem.weight']);
    expect(stored.initializers.map((t) => t.name)).not.toContain('fc.weight');
    expect(stored.initializers.map((t) => t.name)).toContain('fc.bias');
    const back = densifySparse(decodeOnnx(encodeOnnx(stored)));
    expect(back.sparseInitializers).toBeUndefined();
    for (const name of moved) {
      const a = sparse.initializers.find((t) => t.name === name)!;
      const b = back.initializers.find((t) => t.name === name)!;
      expect(b.dims).toEqual(a.dims);
      expect([...toFloat32(b)]).toEqual([...toFloat32(a)]);
    }
    // 2:4 is only 50 % zeros: a sparse element costs 12 bytes, so nothing moves
    expect(storeSparse(sparsifyNM(residualCnn()).graph).sparseInitializers).toBeUndefined();
  });

  it('densifies coordinate-format ([NNZ, rank]) indices too', () => {
    const graph = residualCnn();
    const coo = {
      values: { name: 'extra', dataType: DataType.FLOAT, dims: [2], floatData: [5, 7] },
      indices: { dataType: DataType.INT64, dims: [2, 2], int64Data: [0, 1, 1, 0] },
      dims: [2, 2],
    };
    const back = densifySparse(decodeOnnx(encodeOnnx({ ...graph, sparseInitializers: [coo] })));
    expect([...toFloat32(back.initializers.find((t) => t.name === 'extra')!)]).toEqual([0, 5, 7, 0]);
  });

  it('onnxruntime-web loads sparse-initializer LeNet-300-100 and computes what the dense one does', async () => {
    const graph = await loadOnnx(resolve(FIXTURES, 'lenet300.onnx'));
    const { graph: dense } = sparsifyByMagnitude(graph, { keep: 0.1, scope: 'global' });
    const sparse = storeSparse(dense);
    expect(sparse.sparseInitializers?.length).toBeGreaterThanOrEqual(2); // fc1, fc2 (the classifier keeps more than a third under one global threshold)
    const ort = await createOrtWebBackend();
    const input = {
      dims: [4, 784],
      data: Float32Array.from({ length: 4 * 784 }, (_, i) => Math.sin(i) * 0.5),
    };
    const a = await ort.run(dense, { input });
    const b = await ort.run(encodeOnnx(sparse), { input });
    const x = a.logits.data as Float32Array;
    const y = b.logits.data as Float32Array;
    expect(y.length).toBe(40);
    for (let i = 0; i < x.length; i++) expect(y[i]).toBeCloseTo(x[i], 4);
    await ort.dispose();
  });
});
