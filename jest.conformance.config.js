/**
 * The conformance suite: each scenario against Apache Kafka (jars from scripts/install-test-deps.sh)
 * and the embedded broker, with one table of the results at the end. Run by `npm run test:conformance`.
 */
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const base = require('./jest.config');

// The harness appends each file's rows here; the reporter prints them once every file has run.
process.env.KW_CONFORMANCE_RESULTS ??= mkdtempSync(path.join(tmpdir(), 'kw-conformance-'));

module.exports = {
  ...base,
  roots: ['<rootDir>/test/conformance'],
  testPathIgnorePatterns: [],
  // Each file starts an Apache Kafka JVM beside the embedded broker: two at a time on two cores.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/conformance/table-reporter.js'],
};
