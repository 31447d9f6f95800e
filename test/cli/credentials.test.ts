/**
 * `kw credentials [PROFILE]`: a profile's local keys from the running kw up's credentials file (found
 * through the run file) as shell exports, which a shell can evaluate and curl --aws-sigv4 sign with.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { credentialsCommand } from '../../cli/credentials-command';
import { writeRunFile } from '../../cli/run-file';
import { generateCredentials, writeCredentialFiles } from '../../local/runtime/iam/local-credentials';
import { capture } from '../support/command-io';

describe('kw credentials', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-credentials-'));
  const credentials = generateCredentials([
    { roleArn: 'arn:aws:iam::000000000000:role/ingest-role', profile: 'ingest' },
    { roleArn: 'arn:aws:iam::000000000000:role/kw-local-caller', profile: 'caller' },
  ]);
  const files = writeCredentialFiles(dir, credentials, 'us-east-1');
  const runFile = path.join(dir, 'run.json');
  const previous = process.env.KW_RUN_FILE;

  beforeAll(() => {
    process.env.KW_RUN_FILE = runFile;
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.KW_RUN_FILE;
    else process.env.KW_RUN_FILE = previous;
  });

  function running(iam: boolean): () => void {
    return writeRunFile(
      {
        pid: process.pid,
        bootstrapServers: '127.0.0.1:9092',
        urls: [],
        ...(iam && {
          iam: {
            bootstrapServers: '127.0.0.1:9098',
            clusterArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/kw-dev/x-1',
            credentialsFile: files.credentialsFile,
            configFile: files.configFile,
            callerProfile: 'caller',
            profiles: ['ingest', 'caller'],
          },
        }),
      },
      runFile,
    );
  }

  it('GIVEN a running kw up WHEN no profile is named THEN it prints the caller keys as exports a shell evaluates', async () => {
    const stop = running(true);
    try {
      const io = capture();
      expect(await credentialsCommand.run([], io)).toBe(0);
      const caller = credentials.forProfile('caller')!;
      expect(io.outLines).toEqual([
        `export AWS_ACCESS_KEY_ID='${caller.accessKeyId}'`,
        `export AWS_SECRET_ACCESS_KEY='${caller.secretAccessKey}'`,
      ]);
      // What bash makes of them: the keys, byte for byte (a secret may hold + and /).
      const shell = execFileSync(
        'bash',
        ['-c', `${io.stdout}printf '%s %s' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"`],
        {
          encoding: 'utf8',
        },
      );
      expect(shell).toBe(`${caller.accessKeyId} ${caller.secretAccessKey}`);
    } finally {
      stop();
    }
  });

  it('GIVEN a role profile THEN its keys; GIVEN an unknown one THEN the profiles there are', async () => {
    const stop = running(true);
    try {
      const ok = capture();
      expect(await credentialsCommand.run(['ingest'], ok)).toBe(0);
      expect(ok.outLines[0]).toBe(
        `export AWS_ACCESS_KEY_ID='${credentials.forProfile('ingest')!.accessKeyId}'`,
      );
      const unknown = capture();
      expect(await credentialsCommand.run(['ledger'], unknown)).toBe(1);
      expect(unknown.stderr).toBe(
        `kw credentials: no profile 'ledger' in ${files.credentialsFile}; it has: ingest, caller\n`,
      );
    } finally {
      stop();
    }
  });

  it('GIVEN no running kw up, or one without IAM THEN it says so and exits 1; --credentials reads a file directly', async () => {
    const none = capture();
    expect(await credentialsCommand.run([], none)).toBe(1);
    expect(none.stderr).toBe(
      `kw credentials: no running kw up found at ${runFile}: start 'npm start', or pass --credentials FILE\n`,
    );
    const stop = running(false);
    try {
      const off = capture();
      expect(await credentialsCommand.run([], off)).toBe(1);
      expect(off.stderr).toMatch(/the running kw up does not enforce IAM \(started with --no-iam/);
    } finally {
      stop();
    }
    const direct = capture();
    expect(await credentialsCommand.run(['--credentials', files.credentialsFile, 'ingest'], direct)).toBe(0);
    expect(direct.outLines).toHaveLength(2);
    expect(await credentialsCommand.run(['a', 'b'], capture())).toBe(2);
  });
});
