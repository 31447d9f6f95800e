/**
 * One group's state machine alone, on a clock the test moves: sessions end and the group goes back to
 * Empty without sockets, timers or sleeps.
 */
import { ClassicGroup, type JoinRequest } from '../../../local/broker/groups/classic-group';
import type { JoinResult } from '../../../local/broker/groups/group-member';
import { ErrorCode } from '../../../local/kafka/errors';

const SESSION_TIMEOUT_MS = 10_000;

const joinRequest: JoinRequest = {
  groupId: 'g',
  memberId: '',
  groupInstanceId: null,
  clientId: 'c',
  clientHost: '/127.0.0.1',
  sessionTimeoutMs: SESSION_TIMEOUT_MS,
  rebalanceTimeoutMs: 30_000,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('m') }],
  requireKnownMemberId: false,
};

/** A group with one member, through JoinGroup and SyncGroup: Stable at generation 1. */
async function stableGroup(now: () => number): Promise<{ group: ClassicGroup; member: JoinResult }> {
  const group = new ClassicGroup('g', now);
  const member = await new Promise<JoinResult>((respond) => group.join(joinRequest, respond));
  await new Promise((respond) => group.sync(member.generationId, member.memberId, [], {}, respond));
  return { group, member };
}

test('a member heard from within its session timeout stays; one that is not leaves the group Empty', async () => {
  // GIVEN a Stable group of one member, on a clock the test moves
  let clock = 0;
  const { group, member } = await stableGroup(() => clock);
  expect(group.describe()).toMatchObject({ state: 'Stable', protocolName: 'range' });

  // WHEN it heartbeats just before its session ends, and the deadlines are checked after that
  clock = SESSION_TIMEOUT_MS - 1;
  expect(group.heartbeat(member.generationId, member.memberId, null)).toBe(ErrorCode.NONE);
  clock = SESSION_TIMEOUT_MS + 1;
  group.expire();
  // THEN it is still there
  expect(group.describe().members.map((m) => m.memberId)).toEqual([member.memberId]);

  // WHEN a whole session passes without a word from it
  clock = 2 * SESSION_TIMEOUT_MS;
  group.expire();
  // THEN the group rebalances without it to Empty, at the next generation, keeping its protocol type
  expect(group.describe()).toEqual({
    state: 'Empty',
    protocolType: 'consumer',
    protocolName: '',
    members: [],
  });
  expect(group.heartbeat(member.generationId, member.memberId, null)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  const next = await new Promise<JoinResult>((respond) => group.join(joinRequest, respond));
  expect(next.generationId).toBe(member.generationId + 2);
});
