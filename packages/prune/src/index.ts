/**
 * @packageDocumentation
 * Importance criteria and pruning operators (structured channel pruning with physical removal, unstructured, N:M) for Metacompress.
 */
export {};
