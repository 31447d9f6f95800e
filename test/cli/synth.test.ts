/** When `kw up` may reuse cdk.out instead of synthesizing again. */
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { recordSynthesis, staleReason, withSynthLock } from '../../cli/synth';

describe('synthesis reuse', () => {
  it('GIVEN a recorded synthesis THEN it is reused until the context changes or another synth writes the folder', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'kw-synth-'));
    expect(staleReason(outdir, {})).toBe('no earlier synthesis');
    writeFileSync(path.join(outdir, 'manifest.json'), '{}');
    recordSynthesis(outdir, { esmMode: 'provisioned' }, Date.now());
    expect(staleReason(outdir, { esmMode: 'provisioned' })).toBeUndefined();
    expect(staleReason(outdir, {})).toBe('the -c context changed');
    // `cdk synth` (or deploy) rewrote the manifest since.
    const later = new Date(Date.now() + 5000);
    utimesSync(path.join(outdir, 'manifest.json'), later, later);
    expect(staleReason(outdir, { esmMode: 'provisioned' })).toBe('cdk.out was written by another synthesis');
  });

  it('GIVEN sources newer than the synthesis THEN it is stale', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'kw-synth-'));
    writeFileSync(path.join(outdir, 'manifest.json'), '{}');
    recordSynthesis(outdir, {}, 0); // synthesized "in 1970": every source file is newer
    expect(staleReason(outdir, {})).toBe('sources changed');
  });

  it('GIVEN two synthesis at once THEN the second waits for the first', async () => {
    const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'kw-synth-')), 'cdk.out');
    const events: string[] = [];
    const job = (name: string) =>
      withSynthLock(outdir, async () => {
        events.push(`${name} start`);
        await new Promise((r) => setTimeout(r, 100));
        events.push(`${name} end`);
      });
    await Promise.all([job('a'), job('b')]);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
  });
});
