/**
 * Functions run in local processes as Lambda runs them: one invocation per environment at a time,
 * the template's environment, timeouts, crashes isolated, init errors reported.
 */
import { FunctionPool } from '../../local/runtime/lambda/function-pool';
import { functionSpec } from '../support/function-code';

describe('function pool', () => {
  const pools: FunctionPool[] = [];
  const pool = (...args: ConstructorParameters<typeof FunctionPool>) => {
    const p = new FunctionPool(...args);
    pools.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });

  it('GIVEN an async handler THEN it gets the event, its environment and a Lambda context', async () => {
    const p = pool(
      functionSpec(`exports.handler = async (event, context) => ({
        echo: event.n, greeting: process.env.GREETING, name: context.functionName,
        arn: context.invokedFunctionArn, remaining: context.getRemainingTimeInMillis() > 0,
        requestId: typeof context.awsRequestId });`),
    );
    const outcome = await p.invoke({ n: 42 });
    expect(outcome).toMatchObject({
      ok: true,
      payload: {
        echo: 42,
        greeting: 'hello',
        name: 'test-fn',
        arn: 'arn:aws:lambda:us-east-1:000000000000:function:test-fn',
        remaining: true,
        requestId: 'string',
      },
    });
  });

  it('GIVEN a callback-style handler THEN its callback result is the payload', async () => {
    const p = pool(
      functionSpec(
        `exports.handler = (event, context, callback) => setTimeout(() => callback(null, event.n + 1), 5);`,
      ),
    );
    expect(await p.invoke({ n: 1 })).toMatchObject({ ok: true, payload: 2 });
  });

  it('GIVEN a handler that throws THEN the error is reported and the environment is reused', async () => {
    const p = pool(
      functionSpec(
        `let calls = 0; exports.handler = async () => { calls++; if (calls === 1) { const e = new Error('bad order'); e.name = 'ValidationError'; throw e; } return calls; };`,
      ),
    );
    expect(await p.invoke({})).toMatchObject({
      ok: false,
      kind: 'function',
      error: { errorType: 'ValidationError', errorMessage: 'bad order' },
    });
    // Same process: module state survived.
    expect(await p.invoke({})).toMatchObject({ ok: true, payload: 2 });
    expect(p.stats).toMatchObject({ invocations: 2, errors: 1, environments: 1 });
  });

  it('GIVEN a handler slower than its timeout THEN the invocation times out and the next one gets a fresh environment', async () => {
    const p = pool(
      functionSpec(
        `let calls = 0; exports.handler = async (e) => { calls++; if (e.hang) await new Promise(() => setInterval(() => {}, 1000)); return calls; };`,
        {
          timeoutSeconds: 1,
        },
      ),
    );
    const timedOut = await p.invoke({ hang: true });
    expect(timedOut).toMatchObject({ ok: false, kind: 'timeout', error: { errorType: 'Sandbox.Timedout' } });
    expect(timedOut.ok === false && timedOut.error.errorMessage).toMatch(/Task timed out after 1.00 seconds/);
    expect(await p.invoke({})).toMatchObject({ ok: true, payload: 1 });
    expect(p.stats).toMatchObject({ timeouts: 1, environments: 2 });
  });

  it('GIVEN a handler that kills its process THEN that invocation fails as a crash and the pool recovers', async () => {
    const p = pool(
      functionSpec(`exports.handler = async (e) => { if (e.die) process.exit(3); return 'alive'; };`),
    );
    const crashed = await p.invoke({ die: true });
    expect(crashed).toMatchObject({ ok: false, kind: 'crash', error: { errorType: 'Runtime.ExitError' } });
    expect(crashed.ok === false && crashed.error.errorMessage).toMatch(/exit status 3/);
    expect(await p.invoke({})).toMatchObject({ ok: true, payload: 'alive' });
  });

  it('GIVEN a module that fails to load THEN warm() rejects and invocations report an init error', async () => {
    const p = pool(functionSpec(`throw new Error('missing config');`));
    await expect(p.warm()).rejects.toThrow('missing config');
    expect(await p.invoke({})).toMatchObject({
      ok: false,
      kind: 'init',
      error: { errorMessage: 'missing config' },
    });
  });

  it('GIVEN a handler name the module does not export THEN the init error names it', async () => {
    const p = pool(functionSpec(`exports.main = async () => 1;`));
    await expect(p.warm()).rejects.toThrow(/does not export a function named handler/);
  });

  it('GIVEN 6 concurrent invocations and a concurrency of 3 THEN at most 3 environments run them', async () => {
    const p = pool(
      functionSpec(
        `exports.handler = async () => { await new Promise((r) => setTimeout(r, 150)); return process.pid; };`,
      ),
      {
        maxConcurrency: 3,
      },
    );
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => p.invoke({})));
    const pids = new Set(outcomes.map((o) => (o.ok ? o.payload : 0)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(pids.size).toBe(3);
  });

  it('GIVEN a closed pool THEN an invocation fails as stopping and starts no process', async () => {
    const p = pool(functionSpec(`exports.handler = async () => 1;`));
    await p.warm();
    await p.close();
    expect(await p.invoke({})).toMatchObject({ ok: false, error: { errorType: 'Runtime.Stopping' } });
    expect(p.pids).toEqual([]);
    expect(p.stats.environments).toBe(1);
  });

  it('GIVEN function output THEN each line reaches the log sink', async () => {
    const lines: string[] = [];
    const p = pool(
      functionSpec(`exports.handler = async () => { console.log('one'); console.error('two'); return 0; };`),
      {
        log: (line) => lines.push(line),
      },
    );
    await p.invoke({});
    await new Promise((r) => setTimeout(r, 100));
    expect(lines).toEqual(expect.arrayContaining(['one', 'two']));
  });
});
