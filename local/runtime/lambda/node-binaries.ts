/**
 * Which Node.js a function runs on locally: the major its template's `Runtime` declares
 * (nodejs24.x → Node 24), so a local run meets the same language features, defaults and bugs as on
 * AWS. Where that Node is not at hand the function runs on the Node running kw, and the caller warns.
 *
 * Looked for in this order:
 * 1. `KW_NODE_<major>`: a path to a node executable, for a Node installed some other way (nvm, a
 *    system package) or a platform the packages below do not cover.
 * 2. `node-runtime-<major>-<platform>-<arch>/bin/node`: the official Node.js binaries, which
 *    package.json lists as optional dependencies so `npm ci` brings the ones matching the machine
 *    (linux x64 and arm64; none are published at these versions for macOS or Windows).
 * 3. The Node running kw (process.execPath): right when its major is the declared one.
 *
 * A binary found is run once with `--version` (cached per path) so a broken download or a wrong
 * major is reported and passed over instead of failing every invocation. chooseNode is the decision
 * alone, given a probe; findNodeFor adds the file system and the probe that runs the binary.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** The Node a function runs on, and what to tell the user about it. */
export interface NodeChoice {
  /** The node executable to start the function's processes with. */
  readonly executable: string;
  /** Its version, without the leading `v` (e.g. `24.22.3`). */
  readonly version: string;
  /** Its major is the one the template's runtime declares. */
  readonly matchesTemplate: boolean;
  /** Why it is not the declared Node, and how to get that one; set when matchesTemplate is false. */
  readonly note?: string;
}

/** A place a node executable may be. */
export interface NodeCandidate {
  /** Where it came from, for messages: `KW_NODE_24=/opt/node` or the package name. */
  readonly source: string;
  readonly executable: string;
}

/** What running `<executable> --version` told: its version, or why it could not be run. */
export type NodeProbe = { readonly version: string } | { readonly error: string };

/** The Node running kw. */
export interface CurrentNode {
  readonly executable: string;
  readonly version: string;
}

/** The Node major a Lambda runtime identifier declares (`nodejs24.x` → 24); undefined for others. */
export function declaredNodeMajor(runtime: string): number | undefined {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  return match ? Number(match[1]) : undefined;
}

/** The environment variable that points at a Node of `major`. */
export const overrideVariable = (major: number): string => `KW_NODE_${major}`;

/** The optional dependency holding the official Node `major` binary for a platform. */
export const runtimePackage = (major: number, platform: string, arch: string): string =>
  `node-runtime-${major}-${platform}-${arch}`;

const majorOf = (version: string): number => Number(version.split('.')[0]);

/** The Node majors package.json brings as optional dependencies (the Lambda runtimes cdk-nag accepts). */
export const PACKAGED_MAJORS: readonly number[] = [22, 24];
/** The `<platform>-<arch>` pairs they are brought for (the Node.js packages published at those versions). */
export const PACKAGED_PLATFORMS: readonly string[] = ['linux-x64', 'linux-arm64'];

/**
 * Picks the Node for `runtime`: the first candidate whose probe answers the declared major, else the
 * current Node (with a note unless its major is the declared one). Probes are asked in order, and
 * only until one fits.
 */
export function chooseNode(
  runtime: string,
  candidates: readonly NodeCandidate[],
  probe: (executable: string) => NodeProbe,
  current: CurrentNode,
): NodeChoice {
  const major = declaredNodeMajor(runtime);
  const onCurrent = (note: string | undefined): NodeChoice =>
    note === undefined
      ? { executable: current.executable, version: current.version, matchesTemplate: true }
      : { executable: current.executable, version: current.version, matchesTemplate: false, note };
  if (major === undefined) return onCurrent(`${runtime} is not a Node.js runtime (nodejs<major>.x)`);
  const rejected: string[] = [];
  for (const candidate of candidates) {
    const answer = probe(candidate.executable);
    if ('error' in answer) {
      rejected.push(`${candidate.source} does not run (${answer.error})`);
    } else if (majorOf(answer.version) !== major) {
      rejected.push(`${candidate.source} is Node ${answer.version}, not ${major}`);
    } else {
      return { executable: candidate.executable, version: answer.version, matchesTemplate: true };
    }
  }
  if (majorOf(current.version) === major) return onCurrent(undefined);
  const found = rejected.length > 0 ? rejected.join('; ') : `no Node ${major} found`;
  const remedy = PACKAGED_MAJORS.includes(major)
    ? `\`npm ci\` installs it on ${PACKAGED_PLATFORMS.join(' and ')} (optional dependency ` +
      `${runtimePackage(major, '<platform>', '<arch>')}); elsewhere set ${overrideVariable(major)} to a Node ${major} executable`
    : `set ${overrideVariable(major)} to a Node ${major} executable (npm ci brings Node ${PACKAGED_MAJORS.join(' and ')} only)`;
  return onCurrent(`${found}: ${remedy}`);
}

export interface FindNodeOptions {
  /** Where KW_NODE_<major> is read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the runtime packages are resolved from, as `require` would. @default this file's folder */
  readonly resolveFrom?: string;
  /** @default process.platform */
  readonly platform?: string;
  /** @default process.arch */
  readonly arch?: string;
}

/** The places to look for Node `major`, in order (they may not exist: the probe says). */
export function nodeCandidates(major: number, options: FindNodeOptions = {}): NodeCandidate[] {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const candidates: NodeCandidate[] = [];
  const override = env[overrideVariable(major)];
  if (override) candidates.push({ source: `${overrideVariable(major)}=${override}`, executable: override });
  const name = runtimePackage(major, platform, arch);
  let manifest: string | undefined;
  try {
    manifest = require.resolve(`${name}/package.json`, { paths: [options.resolveFrom ?? __dirname] });
  } catch {
    // Not installed: an optional dependency npm skipped on this platform, or npm ci not run since.
  }
  if (manifest) {
    const executable = path.join(path.dirname(manifest), 'bin', platform === 'win32' ? 'node.exe' : 'node');
    candidates.push({ source: name, executable });
  }
  return candidates;
}

const probes = new Map<string, NodeProbe>();

/** Runs `<executable> --version` once per path; later calls answer from the first run. */
export function probeNode(executable: string): NodeProbe {
  const known = probes.get(executable);
  if (known) return known;
  const run = spawnSync(executable, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const version = /^v(\d+\.\d+\.\d+)\s*$/.exec(run.stdout ?? '')?.[1];
  const answer: NodeProbe = run.error
    ? { error: run.error.message }
    : version && run.status === 0
      ? { version }
      : {
          error: `--version exited ${run.status ?? run.signal} with ${JSON.stringify((run.stdout || run.stderr || '').trim().slice(0, 200))}`,
        };
  probes.set(executable, answer);
  return answer;
}

/** The Node a function declaring `runtime` runs on here. */
export function findNodeFor(runtime: string, options: FindNodeOptions = {}): NodeChoice {
  const major = declaredNodeMajor(runtime);
  const candidates = major === undefined ? [] : nodeCandidates(major, options);
  return chooseNode(runtime, candidates, probeNode, {
    executable: process.execPath,
    version: process.versions.node,
  });
}
