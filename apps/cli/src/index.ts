/**
 * @packageDocumentation
 * The metacompress command-line tool.
 */
export {};
