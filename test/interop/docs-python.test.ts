/** The workshop's Python examples, run with kafka-python (installed by scripts/install-test-deps.sh). */
import * as path from 'node:path';
import { CHAPTERS_DIR, runChapter } from '../support/doc-runner';

describe('workshop chapters with Python', () => {
  it('chapter 8 runs, the kafka-python example included', async () => {
    await runChapter(path.join(CHAPTERS_DIR, '08-client-library.md'), { runPython: true });
  }, 120_000);
});
