/**
 * `kw load --credentials`: requests signed with a profile of the credentials file `kw up`
 * writes pass the Function URL's SigV4 check; the file is the only source of keys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { functionUrlSigner, profileKeys, readProfileKeys } from '../../local/runtime/iam/url-signing';
import { verifyFunctionUrlRequest } from '../../local/runtime/iam/function-url-auth';
import { generateCredentials, writeCredentialFiles } from '../../local/runtime/iam/local-credentials';

const CALLER = 'arn:aws:iam::000000000000:role/kw-local-caller';

describe('Function URL request signing for kw load', () => {
  const store = generateCredentials([
    { roleArn: 'arn:aws:iam::000000000000:role/ingest', profile: 'ingest' },
    { roleArn: CALLER, profile: 'caller' },
  ]);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kw-url-signing-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('GIVEN the credentials file kw up writes WHEN a POST is signed with its caller profile THEN the Function URL check accepts it as the caller', async () => {
    const files = writeCredentialFiles(dir, store, 'us-east-1');
    const keys = readProfileKeys(files.credentialsFile, 'caller');
    expect(keys.accessKeyId).toBe(store.forProfile('caller')!.accessKeyId);
    const url = new URL('http://127.0.0.1:3000/orders?source=load');
    const body = '{"customerId":"c-1"}';
    const headers = await functionUrlSigner(keys, 'us-east-1')(
      'POST',
      url,
      { 'content-type': 'application/json' },
      body,
    );
    const rawHeaders = Object.entries(headers).flat();
    const request = { method: 'POST', url: '/orders?source=load', rawHeaders, body: Buffer.from(body) };
    expect(verifyFunctionUrlRequest(request, { store, region: 'us-east-1' })).toMatchObject({
      ok: true,
      principalArn: CALLER,
    });
    // The body is signed: another body is refused.
    const tampered = { ...request, body: Buffer.from('{"customerId":"c-2"}') };
    expect(verifyFunctionUrlRequest(tampered, { store, region: 'us-east-1' })).toMatchObject({ ok: false });
  });

  it('GIVEN a profile the file lacks THEN reading it fails naming the profile and the file', () => {
    expect(() =>
      profileKeys('[ingest]\naws_access_key_id = A\naws_secret_access_key = B\n', 'caller', 'f'),
    ).toThrow('no profile "caller" with aws_access_key_id and aws_secret_access_key in f');
  });
});
