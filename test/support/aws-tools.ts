/**
 * The AWS tools the deploy-path suite (test/aws) runs, from the venv scripts/install-test-deps.sh
 * makes from scripts/aws-tools/requirements.txt: cfn-lint, checkov and moto's server. Without it,
 * each entry point throws PeerMissingError saying what to install.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { PeerMissingError, TEST_DEPS } from './apache-kafka';

/** The venv's folder. */
export const AWS_TOOLS_VENV = path.join(TEST_DEPS, 'aws-tools');

/** The path of `tool` (cfn-lint, checkov, moto_server) in the venv; throws when it is not installed. */
export function awsTool(tool: 'cfn-lint' | 'checkov' | 'moto_server' | 'python'): string {
  const file = path.join(AWS_TOOLS_VENV, 'bin', tool);
  if (!existsSync(file))
    throw new PeerMissingError(
      `${tool} is not installed at ${file}: run 'bash scripts/install-test-deps.sh' (it installs scripts/aws-tools/requirements.txt into a venv; needs python3-venv and PyPI)`,
    );
  return file;
}
