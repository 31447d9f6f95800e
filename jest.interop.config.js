/**
 * The interop suite: clients and tools this project did not write, against the embedded broker: Kafka's
 * own CLI tools and the Java client (Apache Kafka's jars), confluent-kafka and kafka-python (PyPI),
 * kcat and kafka-python (Debian), franz-go, and the workshop's Kafka CLI steps. Needs what
 * scripts/install-test-deps.sh installs. Run by `npm run test:interop`.
 */
const base = require('./jest.config');

module.exports = { ...base, roots: ['<rootDir>/test/interop'], testPathIgnorePatterns: [] };
