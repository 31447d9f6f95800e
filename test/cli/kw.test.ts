import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { main } from '../../cli/main';
import { capture } from '../support/command-io';

/**
 * Runs `script` in a fresh node with tsx (as `kw` runs) from the repository root and returns the
 * AWS signing packages it had evaluated by the end: jest's own module registry cannot tell.
 */
function signingCodeLoadedBy(script: string): string[] {
  const run = spawnSync(
    process.execPath,
    [
      '-e',
      `require('tsx/cjs');
      (async () => { ${script} })().finally(() => {
        const loaded = Object.keys(require.cache)
          .map((k) => /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(k)?.[1])
          .filter((name) => name === 'aws-msk-iam-sasl-signer-js' || name === '@smithy/signature-v4');
        process.stdout.write(JSON.stringify([...new Set(loaded)].sort()));
      });`,
    ],
    { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', timeout: 30_000 },
  );
  return JSON.parse(run.stdout) as string[];
}

describe('kw', () => {
  test('with no arguments it lists the commands', async () => {
    const io = capture();
    expect(await main([], io)).toBe(0);
    expect(io.stdout).toMatch(/Usage: kw <command>/);
    expect(io.stdout).toMatch(/config +show the validated deployment configuration/);
  });

  test('an unknown command exits 2 and says so', async () => {
    const io = capture();
    expect(await main(['deploy-everything'], io)).toBe(2);
    expect(io.stderr).toMatch(/unknown command 'deploy-everything'/);
    // a name every object has is not a command either
    const proto = capture();
    expect(await main(['toString'], proto)).toBe(2);
    expect(proto.stderr).toMatch(/unknown command 'toString'/);
  });

  test('kw config prints the configuration cdk would use', async () => {
    const io = capture();
    expect(await main(['config', 'cluster=provisioned', 'esmMode=provisioned'], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({
      cluster: 'provisioned',
      esmMode: 'provisioned',
      provisioned: { retryAttempts: 2 },
    });
  });

  test('kw config lists every problem with exit 2', async () => {
    const io = capture();
    expect(await main(['config', 'cluster=bogus', 'batchSize=0'], io)).toBe(2);
    expect(io.stderr).toMatch(/invalid cluster "bogus"/);
    expect(io.stderr).toMatch(/invalid batchSize "0"/);
  });

  test('kw config rejects an unknown key or a missing =', async () => {
    for (const arg of ['clutser=provisioned', 'provisioned']) {
      const io = capture();
      expect(await main(['config', arg], io)).toBe(2);
      expect(io.stderr).toMatch(/expected key=value with a key among: stage, owner/);
    }
  });

  test('--help shows examples', async () => {
    const io = capture();
    expect(await main(['config', '--help'], io)).toBe(0);
    expect(io.stdout).toMatch(/Examples:\n {2}kw config/);
  });

  test('a command that signs nothing does not evaluate the AWS signing code; the first signature does', () => {
    const list = `await require('./cli/main.ts').main(['topics', 'list', '--bootstrap', '127.0.0.1:9'], {
      out: () => undefined,
      err: () => undefined,
    });`;
    expect(signingCodeLoadedBy(list)).toEqual([]);
    const sign = `await require('./local/runtime/kafka/iam-token.ts')
      .mskIamToken({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, 'us-east-1')
      .token();`;
    expect(signingCodeLoadedBy(sign)).toEqual(['@smithy/signature-v4', 'aws-msk-iam-sasl-signer-js']);
  }, 60_000);
});
