/**
 * Conformance: the group coordinator's deadlines, waited out for real (each scenario takes a session
 * or rebalance timeout): members whose session ends, members that do not rejoin or sync in time,
 * static members kept through a rebalance, and member ids handed out but never used.
 */
import type { Struct } from '../../local/kafka/message-codec';
import { until } from '../support/until';
import {
  assignment,
  coordinatorReady,
  describeGroup,
  heartbeat,
  joinGroup,
  joinObservation,
  joinOnce,
  naming,
  rejoinedPair,
  stableGroupOfTwo,
  syncGroup,
  type Member,
} from './group-requests';
import { conformance, type Target } from './harness';

const scenario = conformance('group sessions');

/** Kafka's smallest session timeout (group.min.session.timeout.ms). */
const SESSION_MS = 6000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sessionScenario(title: string, run: (t: Target) => Promise<unknown>): void {
  scenario(
    title,
    async (t) => {
      await coordinatorReady(t);
      return run(t);
    },
    { timeoutMs: 90_000 },
  );
}

/** Heartbeats every second until told something other than NONE; resolves to that. */
function heartbeatUntilTold(t: Target, group: string, member: Member): Promise<unknown> {
  return until(
    async () => {
      const code = await heartbeat(t, group, member);
      return code !== 'NONE' && code;
    },
    `a heartbeat answer other than NONE for ${group}`,
    { intervalMs: 1000, timeoutMs: 30_000 },
  );
}

sessionScenario(
  'a member that stops heartbeating is removed: the other rejoins into the next generation',
  async (t) => {
    const group = 'sessions-expire-one';
    const spec = { group, sessionTimeoutMs: SESSION_MS, topics: ['t'] };
    const { a, b } = await stableGroupOfTwo(t, spec);
    // b goes quiet; a keeps heartbeating until the coordinator drops b and starts a rebalance.
    const told = await heartbeatUntilTold(t, group, a);
    const rejoined = await joinOnce(t, 5, { ...spec, memberId: a.memberId });
    return {
      told,
      rejoined: joinObservation(rejoined, naming({ [a.memberId]: 'A', [b.memberId]: 'B' })),
      generations: [a.generationId, rejoined.GenerationId],
    };
  },
);

sessionScenario(
  'a lone member that stops heartbeating leaves an Empty group at the next generation',
  async (t) => {
    const group = 'sessions-expire-alone';
    const member = await joinGroup(t, 5, { group, sessionTimeoutMs: SESSION_MS });
    await syncGroup(t, group, member, [{ MemberId: member.memberId, Assignment: assignment({}) }]);
    await sleep(SESSION_MS);
    const described = await until(async () => {
      const d = await describeGroup(t, group);
      return d.GroupState === 'Empty' && d;
    }, 'the group to empty');
    return {
      described,
      heartbeat: await heartbeat(t, group, member),
      rejoin: joinObservation(await joinOnce(t, 5, { group, memberId: member.memberId })),
    };
  },
);

sessionScenario(
  'a member that does not rejoin within the rebalance timeout is dropped from the generation',
  async (t) => {
    const group = 'sessions-no-rejoin';
    const spec = { group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 3000, topics: ['t'] };
    const { leader, follower } = await stableGroupOfTwo(t, spec);
    // The leader rejoins; the follower never does.
    const rejoined = await joinOnce(t, 5, { ...spec, memberId: leader.memberId });
    return {
      rejoined: joinObservation(
        rejoined,
        naming({ [leader.memberId]: 'leader', [follower.memberId]: 'follower' }),
      ),
      followerHeartbeat: await heartbeat(t, group, follower),
    };
  },
);

sessionScenario(
  'a member that does not sync within the rebalance timeout is dropped, and the group rebalances',
  async (t) => {
    const group = 'sessions-no-sync';
    // Sessions far longer than the scenario: only the rebalance timeout can drop the follower.
    const spec = { group, sessionTimeoutMs: 300_000, rebalanceTimeoutMs: 3000, topics: ['t'] };
    const { leader, follower } = await rejoinedPair(t, spec);
    // Only the leader syncs: the group is Stable, but the follower still owes its SyncGroup.
    const leaderSync = await syncGroup(t, group, leader, [
      { MemberId: leader.memberId, Assignment: assignment({}) },
    ]);
    const told = await heartbeatUntilTold(t, group, leader);
    const described = await describeGroup(t, group);
    return {
      leaderSync: leaderSync.ErrorCode,
      told,
      state: described.GroupState,
      members: (described.Members as Struct[]).length,
      followerHeartbeat: await heartbeat(t, group, follower),
    };
  },
);

sessionScenario('a static member that does not rejoin keeps its place through the rebalance', async (t) => {
  const group = 'sessions-static-kept';
  const dynamicSpec = { group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 3000, topics: ['t'] };
  const staticSpec = { ...dynamicSpec, instanceId: 'kept-1' };
  const { a, b } = await stableGroupOfTwo(t, staticSpec, dynamicSpec);
  // The dynamic member rejoins with a new subscription, which starts a rebalance; the static one, a,
  // does not rejoin: the join phase ends at the rebalance timeout with it still in the group.
  const rejoined = await joinOnce(t, 5, { ...dynamicSpec, memberId: b.memberId, topics: ['t', 'u'] });
  const name = naming({ [a.memberId]: 'static', [b.memberId]: 'dynamic' });
  const described = await describeGroup(t, group);
  return {
    rejoined: joinObservation(rejoined, name),
    members: (described.Members as Struct[]).map((m) => m.GroupInstanceId).sort(),
    staticHeartbeat: await heartbeat(
      t,
      group,
      { memberId: a.memberId, generationId: rejoined.GenerationId as number },
      { instanceId: 'kept-1' },
    ),
  };
});

sessionScenario(
  'a member id handed out with MEMBER_ID_REQUIRED lapses after the session timeout',
  async (t) => {
    const group = 'sessions-pending-lapses';
    const first = await joinOnce(t, 5, { group, sessionTimeoutMs: SESSION_MS });
    const fresh = await joinOnce(t, 5, { group: 'sessions-pending-fresh', sessionTimeoutMs: SESSION_MS });
    const joinedInTime = await joinOnce(t, 5, {
      group: 'sessions-pending-fresh',
      memberId: fresh.MemberId as string,
      sessionTimeoutMs: SESSION_MS,
    });
    await sleep(SESSION_MS + 2000);
    const tooLate = await joinOnce(t, 5, {
      group,
      memberId: first.MemberId as string,
      sessionTimeoutMs: SESSION_MS,
    });
    const name = naming({
      [first.MemberId as string]: 'the id given',
      [fresh.MemberId as string]: 'the id given',
    });
    return { joinedInTime: joinObservation(joinedInTime, name), tooLate: joinObservation(tooLate, name) };
  },
);
