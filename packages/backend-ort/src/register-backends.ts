/**
 * Side effect of importing `@metacompress/backend-ort`: registers `ort-web` and `ort-node` in
 * core's process-wide backend registry. This is the only module of the package with a side
 * effect (it is listed in package.json `sideEffects`); `@metacompress/backend-ort/base` skips it.
 */
import { registerOrtBackends } from './registration';

registerOrtBackends();
