/**
 * @packageDocumentation
 * Datasets (MNIST, Fashion-MNIST, idx, npy, image folders), the model zoo and the meta-task sampler of Metacompress.
 */
export {};
