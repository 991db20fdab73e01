import { createTensor, DataType, type Node, type Tensor } from '@metacompress/ir';
import { int, op, str, type Names } from './graph-names';
import { packCodes } from './pack-bits';
import type { QuantizedWeight } from './weight-quantizers';

/**
 * A weight stored compactly plus the constant-only nodes that decode it back to float32 under its
 * original name (so the nodes that read it are unchanged). onnxruntime folds such nodes once when
 * it loads the model, so the model computes in float exactly as fast as before.
 *
 * @example
 * const enc = encodeQuantizedWeight('fc1.weight', quantizeWeight(w, [300, 784], { scheme: 'int4' }), names);
 * graph = { ...graph, nodes: [...enc.nodes, ...graph.nodes], initializers: [...others, ...enc.initializers] };
 */
export interface EncodedWeight {
  initializers: Tensor[];
  nodes: Node[];
  /** Bytes of the new initializers (what the weight now costs in the file, roughly). */
  bytes: number;
  /** How it is stored, for reports: `int8`, `uint8`, `packed4`, `packed2`, `packed1`, `fp16`. */
  format: string;
}

const bytesOf = (ts: readonly Tensor[]): number => ts.reduce((a, t) => a + (t.raw?.byteLength ?? 0), 0);

/** Shape of the per-group parameters, broadcastable against the decode shape. */
function paramLayout(q: QuantizedWeight): { decodeDims: number[]; paramDims: number[] } {
  const dims = [...q.dims];
  if (q.scale.length === 1) return { decodeDims: dims, paramDims: [] };
  if (q.blockSize !== undefined) {
    const channels = dims[0];
    const inner = dims.slice(1).reduce((a, b) => a * b, 1);
    const blocks = inner / q.blockSize;
    return { decodeDims: [channels, blocks, q.blockSize], paramDims: [channels, blocks, 1] };
  }
  return { decodeDims: dims, paramDims: dims.map((d, i) => (i === q.axis ? d : 1)) };
}

/**
 * Stores a quantized weight and returns the nodes that decode it: `int8`/`uint8` codes are kept
 * as 8-bit initializers (Cast → Sub zero point → Mul scale); 4-, 2- and 1-bit codes are packed
 * into bytes ({@link packCodes}) and unpacked with BitShift, Mod and Reshape (opset ≥ 11) before
 * the same affine decode. Valid for any opset ≥ 13 model, and checked by `onnx.checker`.
 *
 * @example
 * encodeQuantizedWeight('conv1.weight', quantizeWeight(w, dims, { scheme: 'ternary' }), names).format; // 'packed2'
 */
export function encodeQuantizedWeight(name: string, q: QuantizedWeight, names: Names): EncodedWeight {
  const { decodeDims, paramDims } = paramLayout(q);
  const inits: Tensor[] = [];
  const nodes: Node[] = [];
  let codesValue: string;
  let format: string;
  const [cmin] = q.codeRange;
  const signed8 = q.bits === 8 && cmin < 0;
  if (q.bits === 8) {
    const t = createTensor(names.take(`${name}_quantized`), signed8 ? DataType.INT8 : DataType.UINT8, decodeDims, Array.from(q.codes));
    inits.push(t);
    codesValue = t.name;
    format = signed8 ? 'int8' : 'uint8';
  } else {
    // Unsigned codes u = code − cmin, packed plane-major; zero points shift with them.
    const bits = q.bits;
    const perByte = 8 / bits;
    const unsigned = new Uint8Array(q.codes.length);
    for (let i = 0; i < q.codes.length; i++) unsigned[i] = q.codes[i] - cmin;
    const packed = packCodes(unsigned, bits);
    const m = packed.length;
    const packedT = createTensor(names.take(`${name}_packed`), DataType.UINT8, [1, m], packed);
    const shifts = createTensor(names.take(`${name}_shifts`), DataType.UINT8, [perByte, 1], Array.from({ length: perByte }, (_, k) => k * bits));
    const modulus = createTensor(names.take(`${name}_modulus`), DataType.UINT8, [], [2 ** bits]);
    const flat = createTensor(names.take(`${name}_flat_shape`), DataType.INT64, [1], [perByte * m]);
    inits.push(packedT, shifts, modulus, flat);
    const shifted = names.take(`${name}_shifted`);
    const masked = names.take(`${name}_codes_planes`);
    const flatOut = names.take(`${name}_codes_flat`);
    nodes.push(
      op('BitShift', names.take(`${name}_BitShift`), [packedT.name, shifts.name], [shifted], { direction: str('RIGHT') }),
      op('Mod', names.take(`${name}_Mod`), [shifted, modulus.name], [masked]),
      op('Reshape', names.take(`${name}_Reshape_flat`), [masked, flat.name], [flatOut]),
    );
    let codes = flatOut;
    const count = q.codes.length;
    if (perByte * m !== count) {
      const starts = createTensor(names.take(`${name}_slice_starts`), DataType.INT64, [1], [0]);
      const ends = createTensor(names.take(`${name}_slice_ends`), DataType.INT64, [1], [count]);
      inits.push(starts, ends);
      const sliced = names.take(`${name}_codes_sliced`);
      nodes.push(op('Slice', names.take(`${name}_Slice`), [codes, starts.name, ends.name], [sliced]));
      codes = sliced;
    }
    const shape = createTensor(names.take(`${name}_codes_shape`), DataType.INT64, [decodeDims.length], decodeDims);
    inits.push(shape);
    codesValue = names.take(`${name}_codes`);
    nodes.push(op('Reshape', names.take(`${name}_Reshape_codes`), [codes, shape.name], [codesValue]));
    format = `packed${bits}`;
  }
  const asFloat = names.take(`${name}_codes_float`);
  nodes.push(op('Cast', names.take(`${name}_Cast`), [codesValue], [asFloat], { to: int(DataType.FLOAT) }));
  let centered = asFloat;
  const zp = q.zeroPoint.map((z) => z - (q.bits === 8 ? 0 : cmin));
  if (zp.some((z) => z !== 0)) {
    const zpT = createTensor(names.take(`${name}_zero_point`), DataType.FLOAT, paramDims, zp);
    inits.push(zpT);
    centered = names.take(`${name}_centered`);
    nodes.push(op('Sub', names.take(`${name}_Sub`), [asFloat, zpT.name], [centered]));
  }
  const scaleT = createTensor(names.take(`${name}_scale`), DataType.FLOAT, paramDims, q.scale);
  inits.push(scaleT);
  const sameShape = decodeDims.length === q.dims.length && decodeDims.every((d, i) => d === q.dims[i]);
  if (sameShape) {
    nodes.push(op('Mul', names.take(`${name}_Mul`), [centered, scaleT.name], [name]));
  } else {
    const scaled = names.take(`${name}_scaled`);
    const outShape = createTensor(names.take(`${name}_shape`), DataType.INT64, [q.dims.length], [...q.dims]);
    inits.push(outShape);
    nodes.push(
      op('Mul', names.take(`${name}_Mul`), [centered, scaleT.name], [scaled]),
      op('Reshape', names.take(`${name}_Reshape`), [scaled, outShape.name], [name]),
    );
  }
  return { initializers: inits, nodes, bytes: bytesOf(inits), format };
}

/**
 * Stores float weights as float16 with a Cast back to float32 under the original name (half the
 * bytes; compute stays float32, which is all onnxruntime-web does with float16 weights anyway).
 *
 * @example
 * encodeFp16Weight('fc1.weight', values, [120, 400], names).bytes; // 96000
 */
export function encodeFp16Weight(name: string, values: ArrayLike<number>, dims: readonly number[], names: Names): EncodedWeight {
  const half = createTensor(names.take(`${name}_fp16`), DataType.FLOAT16, dims, Array.from(values));
  return {
    initializers: [half],
    nodes: [op('Cast', names.take(`${name}_Cast`), [half.name], [name], { to: int(DataType.FLOAT) })],
    bytes: bytesOf([half]),
    format: 'fp16',
  };
}
