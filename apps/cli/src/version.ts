import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The version of the `@metacompress/cli` package. */
export const version: string = (require('../package.json') as { version: string }).version;
