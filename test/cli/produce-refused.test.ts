/**
 * `kw produce` when the cluster does not take the records: on a three-broker embedded cluster with two
 * brokers stopped, an `--acks all` produce to a topic with min.insync.replicas=2 is refused, and the
 * user reads why and that nothing was written (not a kafkajs stack trace).
 */
import { main } from '../../cli/main';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { capture } from '../support/command-io';

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ port: 0, brokers: 3, log: () => undefined });
});
afterAll(async () => {
  await broker.close();
});

/** Runs `kw ARGS` against broker 1, which these tests never stop, with `input` on stdin. */
async function kw(args: string[], input = '') {
  const io = capture(input);
  const code = await main([...args, '--bootstrap', `${broker.host}:${broker.ports[0]}`], io);
  return { code, out: io.stdout, err: io.stderr };
}

it('refuses --acks all below min.insync.replicas, saying nothing was written; --acks 1 is taken', async () => {
  const created = await kw(['topics', 'create', 'ledger', '--config', 'min.insync.replicas=2']);
  expect(created).toMatchObject({ code: 0, out: 'created topic ledger with 1 partition(s)\n' });
  expect((await kw(['produce', 'ledger'], 'before\n')).code).toBe(0);
  await broker.control.stop(2);
  await broker.control.stop(3);

  const refused = await kw(['produce', 'ledger'], 'refused\n');
  expect(refused).toEqual({
    code: 1,
    out: '',
    err:
      "kw produce: 'ledger' refused the records (NOT_ENOUGH_REPLICAS): fewer of a partition's replicas are in sync " +
      'than its min.insync.replicas, so it takes no --acks all writes, and none of its records were written. ' +
      "'kw topics describe ledger' shows the in-sync replicas.\n",
  });
  expect(await kw(['produce', 'ledger', '--acks', '1'], 'leader only\n')).toMatchObject({
    code: 0,
    out: 'sent 1 record(s) to ledger (partition 0 from offset 1)\n',
  });

  await broker.control.start(2);
  expect((await kw(['produce', 'ledger'], 'after\n')).code).toBe(0);
  // The refused record is nowhere in the log; the acks=1 one is, once a second replica has it.
  const read = await kw(['consume', 'ledger', '--from-beginning', '--max-messages', '3']);
  expect(read).toMatchObject({ code: 0, out: 'before\nleader only\nafter\n' });
});
