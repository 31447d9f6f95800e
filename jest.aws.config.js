/**
 * The deploy-path suite: the synthesized templates and the AWS-facing code held up against AWS tools
 * this project did not write: AWS's CloudFormation linter (cfn-lint), checkov's CloudFormation
 * checks, and moto's server as an AWS control plane. Needs the venv scripts/install-test-deps.sh
 * installs (.test-deps/aws-tools). Run by `npm run test:aws`.
 */
const base = require('./jest.config');

module.exports = { ...base, roots: ['<rootDir>/test/aws'], testPathIgnorePatterns: [] };
