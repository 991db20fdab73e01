import type { Command } from '../command';
import { compressCommand } from './compress';
import { evalCommand } from './eval';
import { inspectCommand } from './inspect';

/**
 * Every command of the binary, in help order. Adding a command: write `commands/<name>.ts`
 * exporting a `defineCommand(...)`, and list it here.
 */
export const commands: Command[] = [compressCommand, inspectCommand, evalCommand];
