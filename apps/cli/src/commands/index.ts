import type { Command } from '../command';

/**
 * Every command of the binary, in help order. Adding a command: write `commands/<name>.ts`
 * exporting a `defineCommand(...)`, and list it here.
 */
export const commands: Command[] = [];
