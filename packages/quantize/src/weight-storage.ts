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
  const st = names.stem(name, 'w');
  const inits: Tensor[] = [];
  const nodes: Node[] = [];
  let codesValue: string;
  let format: string;
  const [cmin] = q.codeRange;
  const signed8 = q.bits === 8 && cmin < 0;
  if (q.bits === 8) {
    const t = createTensor(
      names.take(`${st}_q`),
      signed8 ? DataType.INT8 : DataType.UINT8,
      decodeDims,
      Array.from(q.codes),
    );
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
    const packedT = createTensor(names.take(`${st}_p`), DataType.UINT8, [1, m], packed);
    const shifts = createTensor(
      names.take(`${st}_sh`),
      DataType.UINT8,
      [perByte, 1],
      Array.from({ length: perByte }, (_, k) => k * bits),
    );
    const modulus = createTensor(names.take(`${st}_m`), DataType.UINT8, [], [2 ** bits]);
    const flat = createTensor(names.take(`${st}_fs`), DataType.INT64, [1], [perByte * m]);
    inits.push(packedT, shifts, modulus, flat);
    const shifted = names.take(`${st}_bs`);
    const masked = names.take(`${st}_cp`);
    const flatOut = names.take(`${st}_cf`);
    nodes.push(
      op('BitShift', names.take(`${st}_shift`), [packedT.name, shifts.name], [shifted], {
        direction: str('RIGHT'),
      }),
      op('Mod', names.take(`${st}_mod`), [shifted, modulus.name], [masked]),
      op('Reshape', names.take(`${st}_flat`), [masked, flat.name], [flatOut]),
    );
    let codes = flatOut;
    const count = q.codes.length;
    if (perByte * m !== count) {
      const starts = createTensor(names.take(`${st}_s0`), DataType.INT64, [1], [0]);
      const ends = createTensor(names.take(`${st}_s1`), DataType.INT64, [1], [count]);
      inits.push(starts, ends);
      const sliced = names.take(`${st}_cs`);
      nodes.push(op('Slice', names.take(`${st}_slice`), [codes, starts.name, ends.name], [sliced]));
      codes = sliced;
    }
    const shape = createTensor(names.take(`${st}_csh`), DataType.INT64, [decodeDims.length], decodeDims);
    inits.push(shape);
    codesValue = names.take(`${st}_c`);
    nodes.push(op('Reshape', names.take(`${st}_reshape`), [codes, shape.name], [codesValue]));
    format = `packed${bits}`;
  }
  const asFloat = names.take(`${st}_f`);
  nodes.push(op('Cast', names.take(`${st}_cast`), [codesValue], [asFloat], { to: int(DataType.FLOAT) }));
  let centered = asFloat;
  const zp = q.zeroPoint.map((z) => z - (q.bits === 8 ? 0 : cmin));
  if (zp.some((z) => z !== 0)) {
    const zpT = createTensor(names.take(`${st}_z`), DataType.FLOAT, paramDims, zp);
    inits.push(zpT);
    centered = names.take(`${st}_ctr`);
    nodes.push(op('Sub', names.take(`${st}_sub`), [asFloat, zpT.name], [centered]));
  }
  const scaleT = createTensor(names.take(`${st}_s`), DataType.FLOAT, paramDims, q.scale);
  inits.push(scaleT);
  const sameShape = decodeDims.length === q.dims.length && decodeDims.every((d, i) => d === q.dims[i]);
  if (sameShape) {
    nodes.push(op('Mul', names.take(`${st}_mul`), [centered, scaleT.name], [name]));
  } else {
    const scaled = names.take(`${st}_sc`);
    const outShape = createTensor(names.take(`${st}_shape`), DataType.INT64, [q.dims.length], [...q.dims]);
    inits.push(outShape);
    nodes.push(
      op('Mul', names.take(`${st}_mul`), [centered, scaleT.name], [scaled]),
      op('Reshape', names.take(`${st}_reshape2`), [scaled, outShape.name], [name]),
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
export function encodeFp16Weight(
  name: string,
  values: ArrayLike<number>,
  dims: readonly number[],
  names: Names,
): EncodedWeight {
  const st = names.stem(name, 'w');
  const half = createTensor(names.take(`${st}_h`), DataType.FLOAT16, dims, Array.from(values));
  return {
    initializers: [half],
    nodes: [op('Cast', names.take(`${st}_cast`), [half.name], [name], { to: int(DataType.FLOAT) })],
    bytes: bytesOf([half]),
    format: 'fp16',
  };
}
