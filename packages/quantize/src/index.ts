/**
 * @packageDocumentation
 * Calibrated post-training quantization, low-bit weights, fp16 and fake-quant for QAT, exported as ONNX QDQ, for Metacompress.
 */
export {};
