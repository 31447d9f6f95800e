/**
 * The browser suite: the console page in a real chromium (Debian's, driven by playwright-core) against
 * a console started in the test's process. Needs chromium (scripts/install-test-deps.sh installs it;
 * $CHROMIUM points elsewhere). Run by `npm run test:browser`.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/browser'],
  testPathIgnorePatterns: [],
  // Each file runs a browser and a cluster (the pipeline file the whole runtime): one at a time on a
  // two-core machine keeps them from starving each other.
  maxWorkers: 1,
  testTimeout: 120000,
};
