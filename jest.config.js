/** Jest runs TypeScript through ts-jest in transpile-only mode: `tsc --noEmit` type-checks once. */
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
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 60000,
  // Most suites wait on sockets and child processes rather than the CPU: three workers finish the
  // suite in well under half the time of jest's default (cores - 1) on a 2-core machine.
  maxWorkers: 3,
};
