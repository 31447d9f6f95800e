/**
 * Local credentials per role: their shape, the store's lookups, and the shared config files written
 * under the output folder, read back by the SDK's own default credential chain.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  generateCredentials,
  newAccessKeyId,
  newSecretAccessKey,
  writeCredentialFiles,
} from '../../local/runtime/iam/local-credentials';

const ROLES = [
  { roleArn: 'arn:aws:iam::000000000000:role/kw-dev-pipeline-IngestRoleAF8AE6D8', profile: 'ingest' },
  { roleArn: 'arn:aws:iam::000000000000:role/kw-dev-pipeline-LedgerRole0B8A0F29', profile: 'ledger' },
];

/** Runs `fn` with the process environment changed, then puts it back. */
async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('local credentials', () => {
  it('GIVEN new keys THEN ids are AKIA and 16 base32 characters, secrets 40 characters, all distinct', () => {
    const ids = Array.from({ length: 200 }, () => newAccessKeyId());
    for (const id of ids) expect(id).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(new Set(ids).size).toBe(200);
    const secret = newSecretAccessKey();
    expect(secret).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(newSecretAccessKey()).not.toBe(secret);
  });

  it('GIVEN two runs THEN the keys differ (random per run)', () => {
    const a = generateCredentials(ROLES);
    const b = generateCredentials(ROLES);
    expect(a.forProfile('ingest')!.accessKeyId).not.toBe(b.forProfile('ingest')!.accessKeyId);
    expect(b.lookup(a.forProfile('ingest')!.accessKeyId)).toBeUndefined();
  });

  it('GIVEN the store THEN each key id gives its secret and role, and an unknown id nothing', () => {
    const store = generateCredentials(ROLES);
    const ledger = store.forRole(ROLES[1].roleArn)!;
    expect(ledger.profile).toBe('ledger');
    expect(store.lookup(ledger.accessKeyId)).toEqual({
      secretAccessKey: ledger.secretAccessKey,
      principalArn: ROLES[1].roleArn,
    });
    expect(store.lookup('AKIAAAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(() => generateCredentials([ROLES[0], { ...ROLES[1], profile: 'ingest' }])).toThrow(
      /profile "ingest" is given to two roles/,
    );
  });

  it('GIVEN the files written THEN they sit under <output>/aws, owner-only, one profile per role', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'kw-creds-'));
    // An earlier, wider file is replaced, not reused with its mode.
    mkdirSync(path.join(out, 'aws'), { mode: 0o755 });
    writeFileSync(path.join(out, 'aws', 'credentials'), 'old', { mode: 0o644 });
    const store = generateCredentials(ROLES);
    const files = writeCredentialFiles(out, store, 'us-east-1');
    expect(files.credentialsFile).toBe(path.join(out, 'aws', 'credentials'));
    expect(files.configFile).toBe(path.join(out, 'aws', 'config'));
    expect(statSync(files.credentialsFile).mode & 0o777).toBe(0o600);
    expect(statSync(files.configFile).mode & 0o777).toBe(0o600);
    expect(statSync(files.dir).mode & 0o777).toBe(0o700);
    const credentials = readFileSync(files.credentialsFile, 'utf8');
    const ingest = store.forProfile('ingest')!;
    expect(credentials).toContain(
      `[ingest]\naws_access_key_id = ${ingest.accessKeyId}\naws_secret_access_key = ${ingest.secretAccessKey}\n`,
    );
    expect(credentials).toContain('[ledger]');
    expect(readFileSync(files.configFile, 'utf8')).toBe(
      '[profile ingest]\nregion = us-east-1\n\n[profile ledger]\nregion = us-east-1\n',
    );
    expect(files.profileEnvironment('ledger')).toEqual({
      AWS_SHARED_CREDENTIALS_FILE: files.credentialsFile,
      AWS_CONFIG_FILE: files.configFile,
      AWS_PROFILE: 'ledger',
      AWS_REGION: 'us-east-1',
    });
    expect(() => files.profileEnvironment('nobody')).toThrow(/no local profile "nobody"/);
  });

  it("GIVEN a profile's environment THEN the SDK's default chain loads that role's keys from the files", async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'kw-creds-'));
    const store = generateCredentials(ROLES);
    const files = writeCredentialFiles(out, store, 'us-east-1');
    const ledger = store.forProfile('ledger')!;
    // Keys in the environment would win without AWS_PROFILE; with it the chain reads the profile.
    const env = {
      ...files.profileEnvironment('ledger'),
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const loaded = await withEnv(env, () => defaultProvider()());
    expect(loaded).toMatchObject({
      accessKeyId: ledger.accessKeyId,
      secretAccessKey: ledger.secretAccessKey,
    });
    const ingest = await withEnv({ ...env, ...files.profileEnvironment('ingest') }, () =>
      defaultProvider()(),
    );
    expect(ingest.accessKeyId).toBe(store.forProfile('ingest')!.accessKeyId);
  });
});
