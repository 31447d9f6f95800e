/** Hand-written cloud assemblies, for tests of what `kw up` makes of a template. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * Writes a cloud assembly with one stack, `app`, holding `template`, into a new temporary folder.
 * @param assets function code by asset folder (`aws:asset:path`), each written as its index.js
 * @returns the folder
 */
export function writeAssembly(template: object, assets: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-asm-'));
  for (const [folder, source] of Object.entries(assets)) {
    mkdirSync(path.join(dir, folder));
    writeFileSync(path.join(dir, folder, 'index.js'), source);
  }
  writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      artifacts: {
        app: { type: 'aws:cloudformation:stack', properties: { templateFile: 'app.template.json' } },
      },
    }),
  );
  writeFileSync(path.join(dir, 'app.template.json'), JSON.stringify(template));
  return dir;
}
