/**
 * @packageDocumentation
 * Runs Metacompress graphs in onnxruntime-web (and onnxruntime-node when installed): accuracy and honest latency.
 */
export {};
