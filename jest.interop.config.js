/** The interop suite: clients installed from Debian (kcat, kafka-python). Run by `npm run test:interop`. */
const base = require('./jest.config');

module.exports = { ...base, roots: ['<rootDir>/test/interop'], testPathIgnorePatterns: [] };
