/** When `kw up` may reuse cdk.out instead of synthesizing again. */
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { recordSynthesis, staleReason } from '../../cli/synth';

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
});
