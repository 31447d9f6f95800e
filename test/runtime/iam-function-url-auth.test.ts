/**
 * The Function URL's SigV4 check (AWS_IAM auth) against requests signed as real clients sign them:
 * the SDK's SignatureV4 (header and presigned forms) and `curl --aws-sigv4`, which reaches a small
 * HTTP server here that hands each request to the verifier as the Function URL server will.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import {
  verifyFunctionUrlRequest,
  type SignedRequest,
  type UrlAuthResult,
} from '../../local/runtime/iam/function-url-auth';
import { generateCredentials } from '../../local/runtime/iam/local-credentials';

const REGION = 'us-east-1';
const ROLE = 'arn:aws:iam::000000000000:role/kw-dev-pipeline-IngestRoleAF8AE6D8';
const store = generateCredentials([
  { roleArn: ROLE, profile: 'ingest' },
  { roleArn: 'arn:aws:iam::000000000000:role/other', profile: 'other' },
]);
const ingest = store.forProfile('ingest')!;
const other = store.forProfile('other')!;
const HOST = 'localhost:8080';
const SIGNED_AT = new Date('2026-11-29T10:00:00.000Z');

interface Signing {
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly path?: string;
  readonly body?: string;
  readonly query?: Record<string, string>;
  readonly service?: string;
  readonly region?: string;
}

function signer(s: Signing): SignatureV4 {
  return new SignatureV4({
    credentials: {
      accessKeyId: s.accessKeyId ?? ingest.accessKeyId,
      secretAccessKey: s.secretAccessKey ?? ingest.secretAccessKey,
    },
    region: s.region ?? REGION,
    service: s.service ?? 'lambda',
    sha256: Sha256,
  });
}

function httpRequest(s: Signing) {
  return {
    method: 'POST',
    protocol: 'http:',
    hostname: 'localhost',
    port: 8080,
    path: s.path ?? '/',
    query: s.query ?? {},
    headers: { host: HOST, 'content-type': 'application/json' },
    body: s.body ?? '{"orderId":"o-1","amount":12}',
  };
}

/** The request as the server sees it after the SDK signed it. */
async function sdkSigned(s: Signing = {}): Promise<SignedRequest> {
  const req = httpRequest(s);
  const signed = await signer(s).sign(req, { signingDate: SIGNED_AT });
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  return {
    method: signed.method,
    url: `${signed.path}${query ? `?${query}` : ''}`,
    rawHeaders: Object.entries(signed.headers).flat(),
    body: Buffer.from(req.body),
  };
}

async function presigned(expiresIn: number): Promise<SignedRequest> {
  const req = { ...httpRequest({}), method: 'GET', headers: { host: HOST }, body: '' };
  const signed = await signer({}).presign(req, { signingDate: SIGNED_AT, expiresIn });
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  return { method: 'GET', url: `${signed.path}?${query}`, rawHeaders: ['host', HOST], body: Buffer.alloc(0) };
}

const at = (offsetMs: number) => ({ store, region: REGION, now: new Date(SIGNED_AT.getTime() + offsetMs) });

function denied(result: UrlAuthResult): { errorType: string; body: Record<string, string>; reason: string } {
  if (result.ok) throw new Error('expected a denial, the request was accepted');
  expect(result.status).toBe(403);
  return {
    errorType: result.headers['x-amzn-errortype'],
    body: JSON.parse(result.body) as Record<string, string>,
    reason: result.reason,
  };
}

const MISMATCH = /^The request signature we calculated does not match the signature you provided\./;

describe('Function URL SigV4 verification (SDK SignatureV4)', () => {
  it('GIVEN a request signed with the role key WHEN verified within the skew THEN it is the role', async () => {
    const request = await sdkSigned();
    expect(verifyFunctionUrlRequest(request, at(0))).toEqual({
      ok: true,
      principalArn: ROLE,
      accessKeyId: ingest.accessKeyId,
    });
    expect(verifyFunctionUrlRequest(request, at(4 * 60 * 1000)).ok).toBe(true);
    expect(verifyFunctionUrlRequest(request, at(-4 * 60 * 1000)).ok).toBe(true);
  });

  it('GIVEN a path and query THEN they are part of what is verified', async () => {
    const request = await sdkSigned({ path: '/orders/a b', query: { z: '1', a: 'x y', b: '' } });
    expect(verifyFunctionUrlRequest(request, at(0)).ok).toBe(true);
    const tampered = { ...request, url: request.url.replace('z=1', 'z=2') };
    expect(denied(verifyFunctionUrlRequest(tampered, at(0))).body.message).toMatch(MISMATCH);
  });

  it('GIVEN no signature THEN 403 Forbidden, AccessDeniedException, as Function URLs answer', () => {
    const result = denied(
      verifyFunctionUrlRequest(
        { method: 'POST', url: '/', rawHeaders: ['Host', HOST], body: Buffer.from('{}') },
        at(0),
      ),
    );
    expect(result.errorType).toBe('AccessDeniedException');
    expect(result.body).toEqual({
      Message:
        'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html',
    });
    expect(result.reason).toMatch(/not signed/);
  });

  it('GIVEN an access key this run did not issue THEN the security token is invalid', async () => {
    const result = denied(
      verifyFunctionUrlRequest(await sdkSigned({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }), at(0)),
    );
    expect(result.errorType).toBe('UnrecognizedClientException');
    expect(result.body).toEqual({ message: 'The security token included in the request is invalid.' });
    expect(result.reason).toContain('AKIAAAAAAAAAAAAAAAAA');
  });

  it("GIVEN another role's secret with this key THEN the signature does not match", async () => {
    const result = denied(
      verifyFunctionUrlRequest(await sdkSigned({ secretAccessKey: other.secretAccessKey }), at(0)),
    );
    expect(result.errorType).toBe('InvalidSignatureException');
    expect(result.body.message).toMatch(MISMATCH);
  });

  it("GIVEN another role's key and secret THEN it is that role, not ingest", async () => {
    const request = await sdkSigned({
      accessKeyId: other.accessKeyId,
      secretAccessKey: other.secretAccessKey,
    });
    expect(verifyFunctionUrlRequest(request, at(0))).toMatchObject({ ok: true, principalArn: other.roleArn });
  });

  it('GIVEN a signature older than 5 minutes THEN Signature expired, with the times', async () => {
    const result = denied(verifyFunctionUrlRequest(await sdkSigned(), at(5 * 60 * 1000 + 1000)));
    expect(result.body.message).toBe(
      'Signature expired: 20261129T100000Z is now earlier than 20261129T100001Z (20261129T100501Z - 5 min.)',
    );
  });

  it('GIVEN a signature dated more than 5 minutes ahead THEN Signature not yet current', async () => {
    const result = denied(verifyFunctionUrlRequest(await sdkSigned(), at(-(5 * 60 * 1000 + 1000))));
    expect(result.body.message).toBe(
      'Signature not yet current: 20261129T100000Z is still later than 20261129T095959Z (20261129T095459Z + 5 min.)',
    );
  });

  it('GIVEN a tampered body THEN the signature does not match, and the log says why', async () => {
    const request = await sdkSigned();
    const result = denied(
      verifyFunctionUrlRequest({ ...request, body: Buffer.from('{"orderId":"o-1","amount":99}') }, at(0)),
    );
    expect(result.body.message).toMatch(MISMATCH);
    expect(result.reason).toMatch(/x-amz-content-sha256 .* is not the sha256/);
  });

  it('GIVEN a tampered body without x-amz-content-sha256 THEN the signature does not match', async () => {
    const request = await sdkSigned();
    const rawHeaders: string[] = [];
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      if (request.rawHeaders[i] === 'x-amz-content-sha256') continue;
      rawHeaders.push(request.rawHeaders[i], request.rawHeaders[i + 1]);
    }
    // The SDK signed the header; without it the signed-header list names a header that is absent.
    const result = denied(
      verifyFunctionUrlRequest({ ...request, rawHeaders, body: Buffer.from('{}') }, at(0)),
    );
    expect(result.body.message).toMatch(MISMATCH);
  });

  it('GIVEN a tampered path THEN the signature does not match', async () => {
    const request = await sdkSigned({ path: '/orders' });
    expect(verifyFunctionUrlRequest(request, at(0)).ok).toBe(true);
    const result = denied(verifyFunctionUrlRequest({ ...request, url: '/admin' }, at(0)));
    expect(result.body.message).toMatch(MISMATCH);
    expect(result.reason).toContain('"POST\\n/admin\\n');
  });

  it('GIVEN a signature scoped to another service or region THEN the scope is named', async () => {
    expect(
      denied(verifyFunctionUrlRequest(await sdkSigned({ service: 'execute-api' }), at(0))).body.message,
    ).toBe("Credential should be scoped to correct service: 'lambda'.");
    expect(
      denied(verifyFunctionUrlRequest(await sdkSigned({ region: 'eu-west-1' }), at(0))).body.message,
    ).toBe("Credential should be scoped to a valid region, not 'eu-west-1'.");
  });

  it('GIVEN a presigned URL THEN it holds until X-Amz-Expires, and not after', async () => {
    const request = await presigned(60);
    expect(verifyFunctionUrlRequest(request, at(59 * 1000))).toMatchObject({ ok: true, principalArn: ROLE });
    const result = denied(verifyFunctionUrlRequest(request, at(61 * 1000)));
    expect(result.body.message).toBe(
      'Signature expired: 20261129T100100Z is now earlier than 20261129T100101Z',
    );
    const tampered = { ...request, url: request.url.replace(/^\//, '/x') };
    expect(denied(verifyFunctionUrlRequest(tampered, at(0))).body.message).toMatch(MISMATCH);
  });

  it('GIVEN an Authorization header without its parts THEN AWS names each missing one', () => {
    const result = denied(
      verifyFunctionUrlRequest(
        {
          method: 'GET',
          url: '/',
          rawHeaders: ['host', HOST, 'authorization', 'AWS4-HMAC-SHA256 Foo=bar'],
          body: Buffer.alloc(0),
        },
        at(0),
      ),
    );
    expect(result.errorType).toBe('IncompleteSignatureException');
    expect(result.body.message).toMatch(
      /^Authorization header requires 'Credential' parameter\. .*'Signature'.*'SignedHeaders'.*'X-Amz-Date'/,
    );
  });
});

const curlVersion = promisify(execFile)('curl', ['--version']).then(
  ({ stdout }) => /--aws-sigv4|AWS-SigV4|curl (7\.(7[5-9]|[89]\d)|[89]\.)/.test(stdout),
  () => false,
);

describe('Function URL SigV4 verification (curl --aws-sigv4)', () => {
  let server: Server;
  let port: number;
  const answers: UrlAuthResult[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const result = verifyFunctionUrlRequest(
          {
            method: req.method ?? 'GET',
            url: req.url ?? '/',
            rawHeaders: req.rawHeaders,
            body: Buffer.concat(chunks),
          },
          { store, region: REGION },
        );
        answers.push(result);
        if (result.ok)
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ as: result.principalArn }));
        else
          res
            .writeHead(result.status, { 'content-type': 'application/json', ...result.headers })
            .end(result.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function curl(args: string[]): Promise<{ status: number; body: string }> {
    const { stdout } = await promisify(execFile)('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
    const at = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
  }

  const url = (p = '/') => `http://127.0.0.1:${port}${p}`;
  const sigv4 = ['--aws-sigv4', `aws:amz:${REGION}:lambda`];

  it('GIVEN curl signing with the role key THEN 200 as the role; unsigned, wrong secret and unknown key get 403', async () => {
    if (!(await curlVersion)) {
      console.warn('curl without --aws-sigv4: skipped');
      return;
    }
    const data = ['-H', 'content-type: application/json', '-d', '{"orderId":"o-2","amount":3}'];
    const good = await curl([
      ...sigv4,
      '--user',
      `${ingest.accessKeyId}:${ingest.secretAccessKey}`,
      ...data,
      url('/orders?x=1'),
    ]);
    expect(good).toEqual({ status: 200, body: JSON.stringify({ as: ROLE }) });

    const unsigned = await curl([...data, url()]);
    expect(unsigned.status).toBe(403);
    expect(JSON.parse(unsigned.body)).toHaveProperty('Message');

    const wrongSecret = await curl([
      ...sigv4,
      '--user',
      `${ingest.accessKeyId}:${other.secretAccessKey}`,
      ...data,
      url(),
    ]);
    expect(wrongSecret.status).toBe(403);
    expect((JSON.parse(wrongSecret.body) as { message: string }).message).toMatch(MISMATCH);

    const unknown = await curl([
      ...sigv4,
      '--user',
      `AKIAAAAAAAAAAAAAAAAA:${ingest.secretAccessKey}`,
      ...data,
      url(),
    ]);
    expect(JSON.parse(unknown.body)).toEqual({
      message: 'The security token included in the request is invalid.',
    });
    expect(answers.map((a) => a.ok)).toEqual([true, false, false, false]);
  });
});
