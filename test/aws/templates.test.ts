/**
 * Every deployment target's synthesized templates against cfn-lint and checkov (scripts/lint-templates.ts),
 * and a positive control: a broken copy of a synthesized template must fail both, so the tools really run
 * and the configuration does not silence everything.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  lintTarget,
  problems,
  runCfnLint,
  runCheckov,
  unusedIgnores,
  type TargetLint,
} from '../../scripts/lint-templates';
import { TARGETS } from '../../scripts/synth-all';

// A synth takes 15-20 s and the four tool runs over its templates about as long again.
const PER_TARGET_MS = 300_000;

const work = mkdtempSync(path.join(tmpdir(), 'kw-templates-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Each target is synthesized and linted once, by whichever test needs it first.
const lints = new Map<number, TargetLint>();
function linted(index: number): TargetLint {
  let lint = lints.get(index);
  if (!lint) {
    lint = lintTarget(TARGETS[index], path.join(work, String(index)));
    lints.set(index, lint);
  }
  return lint;
}

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

describe('deployment templates against cfn-lint and checkov', () => {
  test.each(TARGETS.map((target, index) => [target.name, index] as const))(
    'GIVEN the %s target synthesized WHEN cfn-lint and checkov check its templates THEN neither finds anything the config does not ignore',
    (_name, index) => {
      const lint = linted(index);
      expect(problems(lint)).toEqual([]);
      // The tools saw the resources: checkov ran checks and cfn-lint read every template.
      expect(lint.checkov.passed).toBeGreaterThan(50);
      expect(lint.templates).toHaveLength(TARGETS[index].stacks.length);
    },
    PER_TARGET_MS,
  );

  test(
    'GIVEN every target linted WHEN the config is compared with what the tools find without it THEN each ignore and skip still hides a finding',
    () => {
      expect(unusedIgnores(TARGETS.map((_target, index) => linted(index)))).toEqual([]);
    },
    PER_TARGET_MS * TARGETS.length,
  );
});

describe('positive control: a broken copy of the default target pipeline template', () => {
  const broken = path.join(work, 'broken', 'kw-dev-pipeline.template.json');
  let ingestId: string;

  beforeAll(() => {
    const source = linted(0).templates.find((t) => t.endsWith('kw-dev-pipeline.template.json'))!;
    const template = JSON.parse(readFileSync(source, 'utf8')) as Template;
    [ingestId] = Object.keys(template.Resources).filter(
      (id) => id.startsWith('Ingest') && template.Resources[id].Type === 'AWS::Lambda::Function',
    );
    const ingest = template.Resources[ingestId].Properties;
    ingest.Runtime = 'nodejs99.x';
    ingest.MemroySize = ingest.MemorySize;
    delete ingest.MemorySize;
    template.Resources.OpenSsh = {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: 'SSH from anywhere',
        SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' }],
      },
    };
    mkdirSync(path.dirname(broken));
    writeFileSync(broken, JSON.stringify(template, null, 1));
  }, PER_TARGET_MS);

  test('GIVEN an unknown Lambda runtime and a misspelt property WHEN cfn-lint checks it with the config THEN both are errors naming them', () => {
    const errors = runCfnLint([broken]).findings.filter((f) => f.level === 'Error');
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          rule: 'E3030',
          where: `Resources/${ingestId}/Properties/Runtime`,
          message: expect.stringContaining("'nodejs99.x' is not one of"),
        }),
        expect.objectContaining({
          rule: 'E3002',
          message: expect.stringContaining("'MemroySize' was unexpected"),
        }),
      ]),
    );
  });

  test('GIVEN a security group open to 0.0.0.0/0 on port 22 WHEN checkov checks it with the config THEN it fails', () => {
    const report = runCheckov([broken]);
    expect(report.failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ checkId: 'CKV_AWS_24', resource: 'AWS::EC2::SecurityGroup.OpenSsh' }),
      ]),
    );
    // The rest of the copy is the synthesized template, which passes: only the added group fails.
    expect(new Set(report.failures.map((f) => f.resource))).toEqual(
      new Set(['AWS::EC2::SecurityGroup.OpenSsh']),
    );
  });
});
