/**
 * Workshop chapters 1 to 6, run as a reader would (see test/support/doc-runner.ts for the rules), and
 * the runner's own tests. Chapters 7 to 11 are in workshop-later.test.ts, so jest runs the halves in
 * parallel (about 90 s each). The chapters' Apache Kafka CLI blocks need Java: they are listed here as skipped and run in
 * test/interop/docs-kafka-cli.test.ts.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CHAPTERS_DIR,
  KAFKA_CLI_SKIPPED,
  kafkaCliBlocks,
  outputPattern,
  parseBlocks,
  runChapter,
} from '../support/doc-runner';

const chapters = readdirSync(CHAPTERS_DIR)
  .filter((f) => /^\d\d-.*\.md$/.test(f))
  .sort();

describe('workshop chapters', () => {
  it('has chapters 1 to 11', () => {
    expect(chapters.map((c) => Number(c.slice(0, 2)))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  describe.each(chapters.filter((c) => Number(c.slice(0, 2)) < 7))('%s', (chapter) => {
    const file = path.join(CHAPTERS_DIR, chapter);
    it('runs', async () => {
      await runChapter(file);
    }, 180_000);
    for (const block of kafkaCliBlocks(file))
      it.skip(`line ${block.line}: ${block.summary} (${KAFKA_CLI_SKIPPED})`, () => undefined);
  });
});

describe('the doc runner itself', () => {
  const chapter = (text: string) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kw-chapter-')), '99-broken.md');
    writeFileSync(file, text);
    return file;
  };

  it('fails a chapter whose command fails, naming the line and the output', async () => {
    await expect(runChapter(chapter('# x\n\n```sh\nnpx kw topics describe missing\n```\n'))).rejects.toThrow(
      /99-broken.md:3: exit 1[\s\S]*no topic named 'missing'/,
    );
  });

  it('fails a chapter whose output differs', async () => {
    await expect(
      runChapter(
        chapter(
          '```sh\nnpx kw topics create t\n```\n\n```output\ncreated topic t with 2 partition(s)\n```\n',
        ),
      ),
    ).rejects.toThrow(/99-broken.md:5: output differs/);
  });

  it('compares stdout and stderr in the order they were written, a missing last line break ignored', async () => {
    const blocks = [
      '```sh',
      "echo one; echo two >&2; printf 'three'",
      '```',
      '',
      '```output',
      'one',
      'two',
      'three',
      '```',
    ];
    await expect(runChapter(chapter(`${blocks.join('\n')}\n`))).resolves.toBe(1);
  });

  it("checks Kafka CLI blocks it does not run: only Kafka's tools, each pointed at the broker", async () => {
    const block = [
      '```sh kafka',
      'kafka-topics.sh --bootstrap-server 127.0.0.1:9092 --list',
      'kafka-topix.sh --bootstrap-server 127.0.0.1:9092 --list',
      'kafka-topics.sh --bootstrap-server localhost:9092 --list',
      '```',
    ];
    await expect(runChapter(chapter(`${block.join('\n')}\n`))).rejects.toThrow(
      "99-broken.md:1: no Kafka tool 'kafka-topix.sh'; " +
        "'kafka-topics.sh --bootstrap-server localhost:9092 --list' does not name --bootstrap-server 127.0.0.1:9092",
    );
  });

  it('without kafkaCli, neither runs a Kafka CLI block nor compares its output', async () => {
    const blocks = [
      '```sh kafka',
      'kafka-topics.sh --bootstrap-server 127.0.0.1:9092 --list',
      '```',
      '',
      '```output',
      'not what Kafka would print',
      '```',
    ];
    const file = chapter(`${blocks.join('\n')}\n`);
    await expect(runChapter(file)).resolves.toBe(0);
    expect(kafkaCliBlocks(file)).toEqual([{ line: 1, summary: 'kafka-topics.sh --list' }]);
  });

  it('checks that aws blocks name real scripts and commands', async () => {
    await expect(
      runChapter(chapter('```sh aws\nnpm run deploy-everything\nnpx kw frobnicate\n```\n')),
    ).rejects.toThrow(/no npm script 'deploy-everything'; no kw command 'frobnicate'/);
  });

  it('waits for the lines a background block prints after its ready line when its output block shows them', async () => {
    const blocks = [
      '```sh background ready=first',
      'echo first; sleep 1; echo second; sleep 60',
      '```',
      '',
      '```output',
      'first',
      'second',
      '```',
    ];
    await expect(runChapter(chapter(`${blocks.join('\n')}\n`))).resolves.toBe(1);
  });

  it('finds fenced blocks with their info strings and lines', () => {
    expect(parseBlocks('text\n```sh\necho hi\n```\n\n```output\nhi\n```\n')).toEqual([
      { info: 'sh', code: 'echo hi', line: 2 },
      { info: 'output', code: 'hi', line: 6 },
    ]);
  });

  it('matches output with placeholders and fails on a difference', () => {
    expect(
      outputPattern('offset <N> at <TS>\n...\nend <*>').test(
        'offset 42 at 2026-11-24T10:00:00.000Z\na\nb\nend of it\n',
      ),
    ).toBe(true);
    expect(outputPattern('sent 3 record(s)').test('sent 4 record(s)\n')).toBe(false);
  });

  it('lets a run of two or more spaces match any such run, so table columns may be wider or narrower', () => {
    const row = outputPattern('1       127.0.0.1:<N>  running');
    expect(row.test('1       127.0.0.1:41991  running\n')).toBe(true);
    expect(row.test('1       127.0.0.1:9092   running\n')).toBe(true);
    expect(row.test('1 127.0.0.1:9092 running\n')).toBe(false);
    expect(outputPattern('a b').test('a  b\n')).toBe(false);
  });

  it('points 127.0.0.1:9092, :9093 and :9094 at the brokers a background kw broker --brokers 3 prints', async () => {
    const blocks = [
      '```sh background ready=Ctrl-C',
      'npx kw broker --brokers 3',
      '```',
      '',
      '```sh',
      'test "$KW_BOOTSTRAP" = 127.0.0.1:9092 && echo "KW_BOOTSTRAP is broker 1"',
      "npx kw cluster stop 3 --bootstrap 127.0.0.1:9093 | grep -c '(127.0.0.1:9094) stopped'",
      'npx kw topics list --bootstrap 127.0.0.1:9092,127.0.0.1:9093',
      '```',
      '',
      '```output',
      'KW_BOOTSTRAP is broker 1',
      '1',
      'no topics',
      '```',
    ];
    await expect(runChapter(chapter(`${blocks.join('\n')}\n`))).resolves.toBe(2);
  }, 60_000);
});
