/** Workshop chapters 6 to 10 (chapters 1 to 5 and the runner's own tests are in workshop.test.ts). */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { CHAPTERS_DIR, runChapter } from '../support/doc-runner';

const chapters = readdirSync(CHAPTERS_DIR)
  .filter((f) => /^\d\d-.*\.md$/.test(f) && Number(f.slice(0, 2)) >= 6)
  .sort();

describe('workshop chapters 6-10', () => {
  it.each(chapters)(
    '%s runs',
    async (chapter) => {
      await runChapter(path.join(CHAPTERS_DIR, chapter));
    },
    180_000,
  );
});
