/**
 * `.ci/run` is what CI runs (ci.yml calls it): each suite beyond `npm test` must be in it, in an order
 * where what it needs is installed first, and the npm script it names must exist.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

/** The commands `.ci/run` runs, in order: every line that is not a comment, an echo or shell setup. */
const steps = read('.ci/run')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !/^(#|echo |set |cd )/.test(line));

describe('.ci/run', () => {
  it('installs the test dependencies, then runs every suite, the browser tests before the synth', () => {
    expect(steps).toEqual([
      'bash scripts/install-test-deps.sh',
      'shellcheck .ci/run scripts/*.sh',
      'npm ci --no-audit --no-fund',
      'npm test',
      'npm run test:interop',
      'npm run test:conformance',
      'npm run test:browser',
      'npm run synth:all',
      'npm run test:aws',
    ]);
  });

  it('names only npm scripts package.json has, each announced by an echo line', () => {
    const run = read('.ci/run');
    for (const [, name] of run.matchAll(/^npm run ([\w:-]+)$/gm)) {
      expect([name, scripts[name]]).toEqual([name, expect.any(String)]);
      expect(run).toMatch(new RegExp(`^echo "== npm run ${name} \\(.+\\)"$`, 'm'));
    }
  });

  it('runs the browser tests and the AWS tools with their own jest configs, which the default run leaves out', () => {
    expect(scripts['test:browser']).toBe('jest --config jest.browser.config.js');
    expect(scripts['test:aws']).toBe('jest --config jest.aws.config.js');
    expect(read('jest.config.js')).toContain("'<rootDir>/test/aws/'");
  });

  it("installs Debian's chromium, unpinned, only when it is missing, with a single apt-get update", () => {
    const install = read('scripts/install-test-deps.sh');
    expect(install).toMatch(/\[ -x \/usr\/bin\/chromium \] \|\| packages\+=\(chromium\)/);
    expect(install.match(/run_root apt-get update/g)).toHaveLength(1);
    expect(install).not.toMatch(/chromium=/);
  });
});
