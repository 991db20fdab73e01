/**
 * @packageDocumentation
 * Knowledge-distillation losses and the recovery fine-tune of Metacompress.
 */
export {};
