import { packageTestConfig } from '../../vitest.shared.ts';

// The generator test type-checks, tests and builds two generated packages: allow it time on 2 cores.
export default packageTestConfig(import.meta.dirname, { testTimeout: 180_000 });
