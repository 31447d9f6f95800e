/**
 * Workshop chapters 7 to 11 (chapters 1 to 6 and the runner's own tests are in workshop.test.ts), the
 * Apache Kafka CLI blocks listed as skipped (test/interop/docs-kafka-cli.test.ts runs them).
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { CHAPTERS_DIR, KAFKA_CLI_SKIPPED, kafkaCliBlocks, runChapter } from '../support/doc-runner';

const chapters = readdirSync(CHAPTERS_DIR)
  .filter((f) => /^\d\d-.*\.md$/.test(f) && Number(f.slice(0, 2)) >= 7)
  .sort();

describe('workshop chapters 7-11', () => {
  describe.each(chapters)('%s', (chapter) => {
    const file = path.join(CHAPTERS_DIR, chapter);
    it('runs', async () => {
      await runChapter(file);
    }, 180_000);
    for (const block of kafkaCliBlocks(file))
      it.skip(`line ${block.line}: ${block.summary} (${KAFKA_CLI_SKIPPED})`, () => undefined);
  });
});
