/**
 * Holds every deployment target's synthesized CloudFormation templates up against two tools this project
 * did not write: AWS's CloudFormation linter (cfn-lint) and checkov's CloudFormation checks. Each target
 * is synthesized as scripts/synth-all.ts does, into a temporary folder; each tool runs twice over its
 * templates, with the project's configuration (.cfnlintrc.yaml, .checkov.yaml) and without it, so the
 * output says what the configuration hides. Exits 1 on any cfn-lint error or warning or checkov failure
 * the configuration does not ignore, and on any ignore or skip no target needs any more.
 *
 * The functions are exported for test/aws/templates.test.ts; `npm run lint:templates` runs main().
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { awsTool } from '../test/support/aws-tools';
import { synthTarget, TARGETS, type Target } from './synth-all';

const ROOT = path.join(__dirname, '..');
/** cfn-lint's configuration: the rules it ignores, each with its reason. */
export const CFN_LINT_CONFIG = path.join(ROOT, '.cfnlintrc.yaml');
/** checkov's configuration: the checks it skips, each with its reason. */
export const CHECKOV_CONFIG = path.join(ROOT, '.checkov.yaml');

/** Whether a tool runs with the project's configuration, or with its own defaults only. */
export type ConfigUse = 'configured' | 'unconfigured';

/** One finding of cfn-lint. */
export interface CfnLintFinding {
  readonly rule: string;
  readonly level: 'Error' | 'Warning' | 'Informational';
  readonly message: string;
  readonly file: string;
  readonly line: number;
  /** Where in the template, e.g. `Resources/Ingest4069586C/Properties/Runtime`. */
  readonly where: string;
}

/** What cfn-lint found in a set of templates. */
export interface CfnLintReport {
  readonly errors: number;
  readonly warnings: number;
  readonly informational: number;
  readonly findings: readonly CfnLintFinding[];
}

/** One failed check of checkov. */
export interface CheckovFailure {
  readonly checkId: string;
  readonly checkName: string;
  /** `<resource type>.<logical id>`, e.g. `AWS::EC2::SecurityGroup.OpenSsh`. */
  readonly resource: string;
  readonly file: string;
}

/** What checkov found in a set of templates. */
export interface CheckovReport {
  readonly passed: number;
  readonly failed: number;
  /** Checks skipped by `checkov: skip:` resource metadata (config-file skips are not run at all). */
  readonly skipped: number;
  /** Templates checkov could not read, so checked nothing in. */
  readonly parsingErrors: readonly string[];
  readonly failures: readonly CheckovFailure[];
}

interface CfnLintJson {
  Filename: string;
  Level: CfnLintFinding['level'];
  Message: string;
  Location: { Start: { LineNumber: number }; Path: (string | number)[] };
  Rule: { Id: string };
}

/** Runs cfn-lint over `templates` (absolute paths). */
export function runCfnLint(templates: readonly string[], use: ConfigUse = 'configured'): CfnLintReport {
  // /dev/null as the config file keeps cfn-lint from picking up .cfnlintrc.yaml from the working folder;
  // informational rules are included either way, so both runs count the same rules.
  const config = use === 'configured' ? ['--config-file', CFN_LINT_CONFIG] : ['--config-file', '/dev/null'];
  const args = [...config, '--include-checks', 'I', '--format', 'json', '--', ...templates];
  const run = spawnSync(awsTool('cfn-lint'), args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  let parsed: CfnLintJson[];
  try {
    parsed = JSON.parse(run.stdout) as CfnLintJson[];
  } catch {
    throw new Error(
      `cfn-lint ${args.join(' ')} did not print JSON (exit ${run.status}): ${run.stderr || run.stdout}`,
    );
  }
  const findings = parsed.map((f) => ({
    rule: f.Rule.Id,
    level: f.Level,
    message: f.Message,
    file: path.basename(f.Filename),
    line: f.Location.Start.LineNumber,
    where: f.Location.Path.join('/'),
  }));
  const count = (level: CfnLintFinding['level']) => findings.filter((f) => f.level === level).length;
  return {
    errors: count('Error'),
    warnings: count('Warning'),
    informational: count('Informational'),
    findings,
  };
}

interface CheckovCheckJson {
  check_id: string;
  check_name: string;
  resource: string;
  file_path: string;
}
interface CheckovJson {
  summary: { passed: number; failed: number; skipped: number };
  results: { failed_checks: CheckovCheckJson[]; parsing_errors?: string[] };
}

/** Runs checkov's CloudFormation checks over `templates` (absolute paths, all in one folder). */
export function runCheckov(templates: readonly string[], use: ConfigUse = 'configured'): CheckovReport {
  // These flags are in .checkov.yaml too; the unconfigured run needs them on the command line.
  // --skip-download: the checks' guideline links come from Prisma Cloud's API, and this runs offline.
  const args = ['--framework', 'cloudformation', '--compact', '--quiet', '--skip-download', '-o', 'json'];
  if (use === 'configured') args.push('--config-file', CHECKOV_CONFIG);
  args.push('-f', ...templates);
  // Run in the templates' folder: checkov reads a .checkov.yaml from its working folder on its own,
  // which must not happen in the unconfigured run.
  const cwd = path.dirname(templates[0]);
  const run = spawnSync(awsTool('checkov'), args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  let parsed: CheckovJson | CheckovJson[];
  try {
    parsed = JSON.parse(run.stdout) as CheckovJson | CheckovJson[];
  } catch {
    throw new Error(
      `checkov ${args.join(' ')} did not print JSON (exit ${run.status}): ${run.stderr || run.stdout}`,
    );
  }
  // One report per framework that found files; with no resources at all checkov prints a bare summary.
  const reports = (Array.isArray(parsed) ? parsed : [parsed]).filter((r) => r.results !== undefined);
  const failures = reports.flatMap((r) =>
    r.results.failed_checks.map((c) => ({
      checkId: c.check_id,
      checkName: c.check_name,
      resource: c.resource,
      file: path.basename(c.file_path),
    })),
  );
  const sum = (key: keyof CheckovJson['summary']) => reports.reduce((n, r) => n + r.summary[key], 0);
  return {
    passed: sum('passed'),
    failed: sum('failed'),
    skipped: sum('skipped'),
    parsingErrors: reports.flatMap((r) => r.results.parsing_errors ?? []),
    failures,
  };
}

/** Both tools over one set of templates, with the configuration and without. */
export interface TemplatesLint {
  readonly cfnLint: CfnLintReport;
  readonly checkov: CheckovReport;
  readonly unconfigured: { readonly cfnLint: CfnLintReport; readonly checkov: CheckovReport };
}

/** Runs cfn-lint and checkov over `templates`, each with the project's configuration and without. */
export function lintTemplates(templates: readonly string[]): TemplatesLint {
  return {
    cfnLint: runCfnLint(templates),
    checkov: runCheckov(templates),
    unconfigured: {
      cfnLint: runCfnLint(templates, 'unconfigured'),
      checkov: runCheckov(templates, 'unconfigured'),
    },
  };
}

/** What stops a lint from passing: cfn-lint errors and warnings, checkov failures, unreadable templates. */
export function problems(lint: TemplatesLint): string[] {
  return [
    ...lint.cfnLint.findings
      .filter((f) => f.level !== 'Informational')
      .map((f) => `cfn-lint ${f.level} ${f.rule} ${f.file}:${f.line} ${f.where}: ${f.message}`),
    ...lint.checkov.failures.map((f) => `checkov ${f.checkId} ${f.resource} (${f.file}): ${f.checkName}`),
    ...lint.checkov.parsingErrors.map((file) => `checkov could not parse ${file}`),
  ];
}

/** A synthesized and linted deployment target. */
export interface TargetLint extends TemplatesLint {
  readonly target: Target;
  /** Absolute paths of the target's templates. */
  readonly templates: readonly string[];
  readonly synthSeconds: number;
}

/** Synthesizes `target` into `outDir` and lints its templates; throws when the synth fails. */
export function lintTarget(target: Target, outDir: string): TargetLint {
  const synth = synthTarget(target, outDir);
  if (synth.status !== 0 || synth.missing.length > 0) {
    throw new Error(
      `synth of ${target.name} failed (${synth.command}, exit ${synth.status}` +
        `${synth.missing.length > 0 ? `, missing templates of ${synth.missing.join(', ')}` : ''}):\n` +
        `${synth.stdout}${synth.stderr}`,
    );
  }
  const templates = synth.templates.map((t) => path.join(outDir, t));
  return { target, templates, synthSeconds: synth.seconds, ...lintTemplates(templates) };
}

/** The rule ids .cfnlintrc.yaml ignores and the check ids .checkov.yaml skips. */
export function configuredIgnores(): { cfnLint: string[]; checkov: string[] } {
  const cfnLint = parseYaml(readFileSync(CFN_LINT_CONFIG, 'utf8')) as { ignore_checks?: string[] };
  const checkov = parseYaml(readFileSync(CHECKOV_CONFIG, 'utf8')) as { 'skip-check'?: string[] };
  return { cfnLint: cfnLint.ignore_checks ?? [], checkov: checkov['skip-check'] ?? [] };
}

/** How many findings of each id the configuration hid: found unconfigured, gone when configured. */
export function hidden(lint: TemplatesLint): { cfnLint: Map<string, number>; checkov: Map<string, number> } {
  const tally = (configured: string[], unconfigured: string[]) => {
    const counts = new Map<string, number>();
    const left = [...configured];
    for (const id of unconfigured) {
      const at = left.indexOf(id);
      if (at >= 0) left.splice(at, 1);
      else counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  };
  return {
    cfnLint: tally(
      lint.cfnLint.findings.map((f) => f.rule),
      lint.unconfigured.cfnLint.findings.map((f) => f.rule),
    ),
    checkov: tally(
      lint.checkov.failures.map((f) => f.checkId),
      lint.unconfigured.checkov.failures.map((f) => f.checkId),
    ),
  };
}

/**
 * Ignores and skips of the configuration that hide nothing in any of `lints`: stale, and so a place a
 * future finding could hide. cfn-lint ignores match by prefix, as cfn-lint applies them.
 */
export function unusedIgnores(lints: readonly TemplatesLint[]): string[] {
  const ignores = configuredIgnores();
  const hid = lints.map(hidden);
  const cfnLintHidden = hid.flatMap((h) => [...h.cfnLint.keys()]);
  const checkovHidden = new Set(hid.flatMap((h) => [...h.checkov.keys()]));
  return [
    ...ignores.cfnLint
      .filter((id) => !cfnLintHidden.some((rule) => rule.startsWith(id)))
      .map((id) => `.cfnlintrc.yaml ignores ${id}, which no target's templates trigger`),
    ...ignores.checkov
      .filter((id) => !checkovHidden.has(id))
      .map((id) => `.checkov.yaml skips ${id}, which no target's templates fail`),
  ];
}

function formatCounts(counts: Map<string, number>): string {
  return counts.size === 0
    ? 'nothing'
    : [...counts]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([id, n]) => `${id} ×${n}`)
        .join(', ');
}

function main(): void {
  const work = mkdtempSync(path.join(tmpdir(), 'kw-lint-templates-'));
  const lints: TargetLint[] = [];
  let failed = 0;
  try {
    TARGETS.forEach((target, i) => {
      process.stdout.write(`[${i + 1}/${TARGETS.length}] ${target.name}: synth and lint ... `);
      const started = Date.now();
      let lint: TargetLint;
      try {
        lint = lintTarget(target, path.join(work, String(i)));
      } catch (error) {
        failed++;
        console.log(`FAILED\n${(error as Error).message}`);
        return;
      }
      lints.push(lint);
      const found = problems(lint);
      if (found.length > 0) failed++;
      const { cfnLint, checkov, unconfigured } = lint;
      const hid = hidden(lint);
      console.log(
        `${found.length === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
          `(synth ${lint.synthSeconds.toFixed(1)} s, templates: ${lint.templates.map((t) => path.basename(t)).join(', ')})\n` +
          `    cfn-lint: ${cfnLint.errors} errors, ${cfnLint.warnings} warnings, ${cfnLint.informational} informational` +
          ` (without .cfnlintrc.yaml: ${unconfigured.cfnLint.errors} errors, ${unconfigured.cfnLint.warnings} warnings;` +
          ` it ignores ${formatCounts(hid.cfnLint)})\n` +
          `    checkov: ${checkov.passed} passed, ${checkov.failed} failed, ${checkov.skipped} skipped` +
          ` (without .checkov.yaml: ${unconfigured.checkov.failed} failed; it skips ${formatCounts(hid.checkov)})`,
      );
      for (const problem of found) console.log(`    ${problem}`);
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // Only meaningful when every target was linted: a target that failed to synth hides nothing.
  const stale = failed === 0 ? unusedIgnores(lints) : [];
  for (const line of stale) console.log(`stale: ${line}`);
  console.log(
    failed === 0 && stale.length === 0
      ? 'lint:templates: every target passes cfn-lint and checkov; each ignore and skip is still needed'
      : `lint:templates: ${failed} of ${TARGETS.length} targets failed, ${stale.length} stale ignores or skips`,
  );
  process.exit(failed === 0 && stale.length === 0 ? 0 : 1);
}

if (require.main === module) main();
