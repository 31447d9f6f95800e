/**
 * The workshop's Apache Kafka CLI steps (`sh kafka` blocks in chapters 3 to 7), run with Kafka 3.9's
 * own tools from the jars scripts/install-test-deps.sh installs, against each chapter's embedded
 * broker. Each chapter runs whole, its `kw` steps too, because the Kafka steps read what those wrote.
 * `npm test` lists these blocks as skipped (test/docs/); without Java or the jars this suite fails
 * saying what to install.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { CHAPTERS_DIR, kafkaCliBlocks, runChapter } from '../support/doc-runner';

const chapters = readdirSync(CHAPTERS_DIR)
  .filter((f) => /^\d\d-.*\.md$/.test(f))
  .sort()
  .map((chapter) => ({ chapter, blocks: kafkaCliBlocks(path.join(CHAPTERS_DIR, chapter)).length }))
  .filter(({ blocks }) => blocks > 0);

describe("workshop chapters with Kafka's own CLI", () => {
  it('has Kafka CLI steps in chapters 3 to 7', () => {
    expect(chapters.map(({ chapter }) => Number(chapter.slice(0, 2)))).toEqual([3, 4, 5, 6, 7]);
  });

  it.each(chapters)(
    '$chapter runs, its $blocks Kafka CLI blocks included',
    async ({ chapter }) => {
      await runChapter(path.join(CHAPTERS_DIR, chapter), { kafkaCli: true });
    },
    300_000,
  );
});
