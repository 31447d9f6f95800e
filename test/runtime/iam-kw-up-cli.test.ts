/**
 * `kw up --iam` as a user runs it: the ready block lists the IAM listener and the credentials file,
 * and `kw load` reaches the AWS_IAM ingest URL only when it signs with that file (`--credentials`),
 * after which its orders reach the ledger.
 */
import { startKwUp, runKw, type KwUp } from '../support/kw-process';
import { until } from '../support/until';

describe('kw up --iam (npm start -- --iam)', () => {
  jest.setTimeout(240_000);
  let up: KwUp;

  beforeAll(async () => {
    up = await startKwUp(['--iam']);
  }, 200_000);
  afterAll(() => up?.stop());

  it('GIVEN kw up --iam WHEN kw load sends orders unsigned and then signed with the printed credentials file THEN the first is refused with a hint and the second is accepted and reaches the ledger', async () => {
    const ready = up.output().slice(up.output().indexOf('Ready in'));
    const iamListener =
      /^\s+Kafka IAM\s+(\S+)\s+\(MSK IAM: SASL OAUTHBEARER or AWS_MSK_IAM, cluster arn:aws:kafka:/m.exec(
        ready,
      );
    const credentials = /^\s+credentials\s+(\S+)/m.exec(ready)?.[1];
    expect(iamListener?.[1]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(credentials).toMatch(/\/aws\/credentials$/);
    expect(ready).toMatch(
      /ingest URL\s+\S+\s+\(AWS_IAM: sign requests, SigV4 service lambda, with profile caller\)/,
    );
    expect(ready).not.toMatch(/IAM is not enforced/);

    const unsigned = await runKw(['load', '--url', up.ingestUrl, '--count', '3', '--rate', '0']);
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toMatch(/answers 403: its AuthType is AWS_IAM; pass --credentials/);

    const signed = await runKw([
      'load',
      '--url',
      up.ingestUrl,
      '--count',
      '5',
      '--rate',
      '0',
      '--credentials',
      credentials!,
    ]);
    expect(signed.out).toMatch(/sent 5 in [\d.]+ s \(\d+\/s\): 5 accepted, 0 rejected, 0 failed/);
    expect(signed.code).toBe(0);
    await until(
      async () => (await up.scanTable()).filter((i) => i.sk === 'ORDER').length >= 5,
      () => `5 orders in the ledger:\n${up.output()}`,
      { timeoutMs: 60_000 },
    );
  });
});
