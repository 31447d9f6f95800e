/**
 * Orders test files for jest as its own sequencer does (failed first, then longest first from jest's
 * timing cache), but with a list of the slowest files for a run that has no cache: a fresh clone, CI.
 * Without one, jest orders by file size, which started the 80 s doc-chapter file two thirds of the way
 * into a run, so that it ended the run alone on one worker while the others stood idle.
 */
const Sequencer = require('@jest/test-sequencer').default;
const path = require('node:path');

/**
 * Seconds each file took on a fresh-clone CI run on 2 cores (jest's perf cache). Only the order
 * matters: a stale figure costs some idle time at the end of a run, never a failure. Files not listed
 * run after these, largest first.
 */
const SECONDS_ON_CI = {
  'test/docs/workshop.test.ts': 58,
  'test/docs/workshop-later.test.ts': 55,
  'test/runtime/kw-up.test.ts': 48,
  'test/cdk/self-destruct.test.ts': 29,
  'test/console/pipeline-source.test.ts': 23,
  'test/cdk/workshop.test.ts': 22,
  'test/bench/pipeline.test.ts': 21,
  'test/runtime/pipeline-drill.test.ts': 19,
  'test/broker/leader-move.test.ts': 16,
  'test/cdk/constructs/bundled-function.test.ts': 16,
  'test/broker/durability.test.ts': 15,
  'test/runtime/iam-kw-up.test.ts': 14,
  'test/runtime/iam-role-policies.test.ts': 13,
  'test/broker/consumer-groups.test.ts': 12,
  'test/cdk/kafka-stack.test.ts': 12,
  'test/cdk/pipeline-stack.test.ts': 11,
  'test/cli/kafka-commands.test.ts': 11,
  'test/bench/console.test.ts': 10,
  'test/cdk/constructs/self-destruct.test.ts': 10,
  'test/cdk/constructs/pipeline-topics.test.ts': 10,
  'test/ci/localstack.test.ts': 9,
  'test/bench/cold-start.test.ts': 9,
  'test/cdk/constructs/pipeline-function.test.ts': 9,
  'test/broker/fuzz.test.ts': 8,
  'test/console/server.test.ts': 8,
  'test/cdk/constructs/self-managed-kafka-cluster.test.ts': 8,
};

class SlowestFirstSequencer extends Sequencer {
  sort(tests) {
    // As jest's own sort does: jest reads it to decide whether a few fast files run in band.
    for (const test of tests) test.duration = this.time(test);
    const estimate = (test) =>
      test.duration ??
      SECONDS_ON_CI[path.relative(test.context.config.rootDir, test.path).split(path.sep).join('/')] * 1000;
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    return [...tests].sort((a, b) => {
      const failed = Number(this.hasFailed(b)) - Number(this.hasFailed(a));
      if (failed !== 0) return failed;
      const [timeA, timeB] = [estimate(a), estimate(b)];
      if (!Number.isNaN(timeA) || !Number.isNaN(timeB)) {
        if (Number.isNaN(timeA)) return 1;
        if (Number.isNaN(timeB)) return -1;
        if (timeA !== timeB) return timeB - timeA;
      }
      return size(b) - size(a);
    });
  }
}

module.exports = SlowestFirstSequencer;
