/**
 * `kw up` as a user runs it, with IAM enforced by default: the ready block lists the IAM listener and
 * the credentials file; `kw load` finds the running pipeline's ingest URL and caller profile by
 * itself (the run file), and without them the AWS_IAM URL refuses it with a hint. `--no-iam` turns
 * enforcement off and says so.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readRunFile } from '../../cli/run-file';
import { startKwUp, runKw, type KwUp } from '../support/kw-process';
import { until } from '../support/until';

describe('kw up enforces IAM by default', () => {
  jest.setTimeout(240_000);
  let up: KwUp;

  beforeAll(async () => {
    up = await startKwUp([]);
  }, 200_000);
  afterAll(() => up?.stop());

  it("GIVEN kw up WHEN kw load runs without flags THEN it signs with the run's caller profile and its orders reach the ledger; without the run file it is refused with a hint", async () => {
    const ready = up.output().slice(up.output().indexOf('Ready in'));
    const iamListener =
      /^\s+Kafka IAM\s+(\S+)\s+\(MSK IAM: SASL OAUTHBEARER or AWS_MSK_IAM, cluster arn:aws:kafka:/m.exec(
        ready,
      );
    expect(iamListener?.[1]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(up.credentialsFile).toMatch(/\/aws\/credentials$/);
    expect(ready).toMatch(
      /ingest URL\s+\S+\s+\(AWS_IAM: sign requests, SigV4 service lambda, with profile caller\)/,
    );
    expect(ready).toMatch(
      /npm run load -- --count 1000 {3}\(signs with the caller profile while kw up runs\)/,
    );
    expect(ready).not.toMatch(/IAM is not enforced/);

    // The run file names the run, its URLs and where its credentials are, never a key.
    const run = readRunFile(up.runFile);
    expect(run).toMatchObject({
      pid: up.child.pid,
      urls: [{ url: up.ingestUrl, authType: 'AWS_IAM' }],
      iam: {
        bootstrapServers: iamListener?.[1],
        credentialsFile: up.credentialsFile,
        callerProfile: 'caller',
        profiles: expect.arrayContaining(['ingest', 'enrich', 'ledger', 'caller']),
      },
    });
    expect(JSON.stringify(run)).not.toMatch(/AKIA/);

    const elsewhere = path.join(mkdtempSync(path.join(tmpdir(), 'kw-no-run-')), 'run.json');
    const unsigned = await runKw(['load', '--url', up.ingestUrl, '--count', '3', '--rate', '0'], '', 20_000, {
      ...process.env,
      KW_RUN_FILE: elsewhere,
    });
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toMatch(
      new RegExp(
        `answers 403: its AuthType is AWS_IAM; pass --credentials .*no running kw up was found at ${elsewhere}`,
      ),
    );

    const signed = await runKw(['load', '--count', '5', '--rate', '0'], '', 20_000, {
      ...process.env,
      KW_RUN_FILE: up.runFile,
    });
    expect(signed.out).toMatch(/sent 5 in [\d.]+ s \(\d+\/s\): 5 accepted, 0 rejected, 0 failed/);
    expect(signed.code).toBe(0);
    await until(
      async () => (await up.scanTable()).filter((i) => i.sk === 'ORDER').length >= 5,
      () => `5 orders in the ledger:\n${up.output()}`,
      { timeoutMs: 60_000 },
    );
  });
});

describe('kw up --no-iam', () => {
  jest.setTimeout(240_000);

  it('GIVEN --no-iam THEN there is no IAM listener, the ready block says IAM is not enforced, and an unsigned order is accepted', async () => {
    const up = await startKwUp(['--no-iam']);
    try {
      const ready = up.output().slice(up.output().indexOf('Ready in'));
      expect(ready).not.toMatch(/Kafka IAM/);
      expect(up.credentialsFile).toBeUndefined();
      expect(ready).toMatch(
        /ingest URL\s+\S+\s+\(AWS_IAM auth is not enforced: turned off; no signature needed\)/,
      );
      expect(ready).toMatch(/Not emulated \(IAM is not enforced \(turned off\), metrics/);
      const res = await fetch(up.ingestUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customerId: 'c-1', items: [{ sku: 'tea', quantity: 1, unitPrice: 2 }] }),
      });
      expect(res.status).toBe(202);
      expect(readRunFile(up.runFile)?.iam).toBeUndefined();
    } finally {
      expect(await up.stop()).toBe(0);
    }
    // Stopping removes the run file: nothing points at a run that is gone.
    expect(readRunFile(up.runFile)).toBeUndefined();
  });
});
