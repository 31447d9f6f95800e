import { main } from '../../cli/main';
import { capture } from '../support/command-io';

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
});
