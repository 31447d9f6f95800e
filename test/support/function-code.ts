/** Writes a small Lambda handler (plain CommonJS, like a bundled asset) into a fresh folder. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FunctionSpec } from '../../local/runtime/lambda/function-pool';

function functionCode(source: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-fn-'));
  writeFileSync(path.join(dir, 'index.js'), source);
  return dir;
}

export function functionSpec(source: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    name: 'test-fn',
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:test-fn',
    codeDir: functionCode(source),
    handler: 'index.handler',
    timeoutSeconds: 5,
    memoryMb: 128,
    environment: { PATH: process.env.PATH ?? '', GREETING: 'hello' },
    ...overrides,
  };
}
