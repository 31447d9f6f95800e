/**
 * The runtime's start and stop: phases in order, a phase's steps together, a failed step logged
 * without holding up the rest, and a failed start stopping what had started.
 */
import { Lifecycle, StopPhase } from '../../local/runtime/lifecycle';

describe('lifecycle', () => {
  it('GIVEN steps in several phases WHEN stopped THEN phases run in order and a phase waits for all its steps', async () => {
    const lifecycle = new Lifecycle(() => undefined);
    const events: string[] = [];
    let releaseSlow!: () => void;
    lifecycle.onStop(StopPhase.stores, async () => events.push('stores'));
    lifecycle.onStop(StopPhase.urls, async () => {
      events.push('slow url starts');
      await new Promise<void>((resolve) => (releaseSlow = resolve));
      events.push('slow url done');
    });
    lifecycle.onStop(StopPhase.urls, async () => {
      events.push('fast url');
      releaseSlow();
    });
    lifecycle.onStop(StopPhase.stopPollers, async () => events.push('pollers told'));

    await lifecycle.stop();

    expect(events).toEqual(['pollers told', 'slow url starts', 'fast url', 'slow url done', 'stores']);
  });

  it('GIVEN a step that fails WHEN stopped THEN the failure is logged and later phases still run', async () => {
    const logged: string[] = [];
    const lifecycle = new Lifecycle((m) => logged.push(m));
    let storesStopped = false;
    lifecycle.onStop(StopPhase.clients, async () => {
      throw new Error('broker gone');
    });
    lifecycle.onStop(StopPhase.stores, async () => (storesStopped = true));

    await lifecycle.stop();

    expect(logged).toEqual(['while stopping: broker gone']);
    expect(storesStopped).toBe(true);
  });

  it('GIVEN a start that throws THEN what it registered is stopped and the error passed on', async () => {
    const lifecycle = new Lifecycle(() => undefined);
    const stopped: string[] = [];

    await expect(
      lifecycle.start(async () => {
        lifecycle.onStop(StopPhase.stores, async () => stopped.push('broker'));
        throw new Error('port taken');
      }),
    ).rejects.toThrow('port taken');

    expect(stopped).toEqual(['broker']);
    expect(lifecycle.stopping).toBe(true);
  });

  it('GIVEN a stopped lifecycle WHEN stopped again THEN no step runs twice', async () => {
    const lifecycle = new Lifecycle(() => undefined);
    let runs = 0;
    lifecycle.onStop(StopPhase.temp, async () => runs++);
    expect(lifecycle.stopping).toBe(false);

    await lifecycle.stop();
    await lifecycle.stop();

    expect(runs).toBe(1);
  });
});
