/**
 * A jest reporter for the conformance suite: once every file has run, prints one table of every
 * scenario (what Apache Kafka and the embedded broker were observed to do, and whether that is the
 * same, a difference listed in local/broker/SKIPPED.md, or a difference that fails the suite) and the
 * totals. The harness writes the rows to the folder named by KW_CONFORMANCE_RESULTS.
 */
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');

const WIDTH = 46;

function cell(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > WIDTH ? `${text.slice(0, WIDTH - 1)}…` : text;
}

class ConformanceTableReporter {
  onRunComplete() {
    const dir = process.env.KW_CONFORMANCE_RESULTS;
    if (!dir || !existsSync(dir)) return;
    const rows = readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .flatMap((f) =>
        readFileSync(path.join(dir, f), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line)),
      );
    if (rows.length === 0) return;
    const verdicts = { same: 'same', listed: 'listed in SKIPPED.md', different: 'DIFFERENT' };
    const header = ['area', 'scenario', 'Apache Kafka', 'embedded', 'verdict'];
    const table = rows.map((r) => [
      r.area,
      r.scenario,
      cell(r.apache),
      r.verdict === 'same' ? '(same)' : cell(r.embedded),
      r.verdict === 'listed' ? `listed: ${r.skipped}` : verdicts[r.verdict],
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
    const line = (row) => row.map((c, i) => c.padEnd(widths[i])).join(' | ');
    const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...table.map(line)];
    const count = (v) => rows.filter((r) => r.verdict === v).length;
    const reasons = [...new Set(rows.filter((r) => r.verdict === 'listed').map((r) => r.skipped))];
    out.push(
      '',
      `conformance: ${rows.length} scenarios; ${count('same')} the same as Apache Kafka; ` +
        `${count('listed')} listed differences (${reasons.join('; ') || 'none'}); ` +
        `${count('different')} unexplained differences`,
    );
    process.stdout.write(`\n${out.join('\n')}\n`);
  }
}

module.exports = ConformanceTableReporter;
