/** Jest runs TypeScript through esbuild, which strips the types only: `tsc --noEmit` type-checks once. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Suites that need more than Node (real clients, Apache Kafka, chromium, the AWS tools) run in
  // `npm run test:interop`, `npm run test:conformance`, `npm run test:browser` and `npm run test:aws`,
  // after scripts/install-test-deps.sh.
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/interop/',
    '<rootDir>/test/conformance/',
    '<rootDir>/test/browser/',
    '<rootDir>/test/aws/',
  ],
  transform: { '^.+\\.ts$': '<rootDir>/test/support/esbuild-transform.js' },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 60000,
  // Slowest files first on a fresh clone too, where jest has no timings and would go by file size.
  testSequencer: '<rootDir>/test/support/slowest-first-sequencer.js',
  // Most suites wait on sockets and child processes rather than the CPU: three workers finish the
  // suite in well under half the time of jest's default (cores - 1) on a 2-core machine.
  maxWorkers: 3,
};
