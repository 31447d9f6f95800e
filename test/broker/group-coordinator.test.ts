/**
 * The group coordinator alone, without sockets: the rules Apache Kafka's classic coordinator follows
 * that `npm test` should catch breaking (test/conformance/groups*.test.ts holds them up against Kafka).
 */
import { GroupCoordinator, type JoinRequest } from '../../local/broker/groups/group-coordinator';
import { ErrorCode } from '../../local/kafka/errors';

/** A JoinGroup with the usual settings, any of them overridden. */
const joinWith = (coordinator: GroupCoordinator, overrides: Partial<JoinRequest>) =>
  coordinator.join({
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    requireKnownMemberId: false,
    ...overrides,
  });

/** A JoinGroup of `memberId` to `groupId` with the usual settings. */
const join = (coordinator: GroupCoordinator, memberId: string, groupId = 'g') =>
  joinWith(coordinator, { memberId, groupId });

describe('group coordinator', () => {
  let coordinator: GroupCoordinator;
  beforeEach(() => {
    coordinator = new GroupCoordinator();
  });
  afterEach(() => coordinator.close());

  test('commits: accepted while a new member joins, refused between join and assignment, as Kafka does', async () => {
    const first = await join(coordinator, '');
    expect(coordinator.commitCheck('g', first.generationId, first.memberId)).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    ); // not synced yet
    await coordinator.sync('g', first.generationId, first.memberId, [
      { memberId: first.memberId, assignment: Buffer.from('a') },
    ]);
    expect(coordinator.commitCheck('g', first.generationId, first.memberId)).toBe(ErrorCode.NONE);

    const second = join(coordinator, ''); // a second member arrives: the group prepares a rebalance
    // the first member commits what it processed before rejoining
    expect(coordinator.commitCheck('g', first.generationId, first.memberId)).toBe(ErrorCode.NONE);
    const rejoin = join(coordinator, first.memberId);
    await Promise.all([second, rejoin]);
    expect(coordinator.commitCheck('g', -1, '')).toBe(ErrorCode.UNKNOWN_MEMBER_ID); // outside the protocol, with members
    expect(coordinator.commitCheck('other', -1, '')).toBe(ErrorCode.NONE);
  });

  test('LeaveGroup without a member id or instance id removes nobody', async () => {
    const member = await join(coordinator, '');
    expect(coordinator.leave('g', [{ memberId: '', groupInstanceId: null }])).toEqual({
      errorCode: ErrorCode.NONE,
      members: [{ memberId: '', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }],
    });
    expect(coordinator.describe('g').members.map((m) => m.memberId)).toEqual([member.memberId]);
  });

  test('DescribeGroups, ListGroups and DeleteGroups', async () => {
    const member = await join(coordinator, '');
    await coordinator.sync('g', member.generationId, member.memberId, [
      { memberId: member.memberId, assignment: Buffer.from('a') },
    ]);
    expect(coordinator.describe('g')).toMatchObject({
      state: 'Stable',
      protocolName: 'range',
      members: [{ memberId: member.memberId, assignment: Buffer.from('a') }],
    });
    expect(coordinator.list()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Stable' }]);
    expect(coordinator.deleteGroup('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    coordinator.leave('g', [{ memberId: member.memberId, groupInstanceId: null }]);
    coordinator.commitOffset('g', 't', 0, { offset: 5n, leaderEpoch: -1, metadata: null });
    expect(coordinator.deleteGroup('g')).toBe(ErrorCode.NONE);
    expect(coordinator.deleteGroup('g')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(coordinator.describe('g').state).toBe('Dead');
  });

  test('session timeouts outside group.min/max.session.timeout.ms (6 s, 30 min) are refused', async () => {
    for (const [sessionTimeoutMs, code] of [
      [5999, ErrorCode.INVALID_SESSION_TIMEOUT],
      [6000, ErrorCode.NONE],
      [1_800_001, ErrorCode.INVALID_SESSION_TIMEOUT],
    ]) {
      const result = await joinWith(coordinator, { groupId: `g${sessionTimeoutMs}`, sessionTimeoutMs });
      expect(result.errorCode).toBe(code);
    }
  });

  test('a follower rejoining a Stable group unchanged keeps its generation; the leader rejoining starts the next', async () => {
    const leader = await joinWith(coordinator, {});
    await coordinator.sync('g', leader.generationId, leader.memberId, []);
    const second = joinWith(coordinator, {});
    const leaderAgain = await joinWith(coordinator, { memberId: leader.memberId });
    const follower = await second;
    await Promise.all([
      coordinator.sync('g', follower.generationId, follower.memberId, []),
      coordinator.sync('g', leaderAgain.generationId, leader.memberId, []),
    ]);
    const followerAgain = await joinWith(coordinator, { memberId: follower.memberId });
    expect(followerAgain).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, members: [] });
    expect(coordinator.describe('g').state).toBe('Stable');
    void joinWith(coordinator, { memberId: leader.memberId });
    expect(coordinator.describe('g').state).toBe('PreparingRebalance');
  });

  test('a static member rejoining without its id gets a new one and fences the old; a Stable group does not rebalance', async () => {
    const first = await joinWith(coordinator, { groupInstanceId: 'i-1', requireKnownMemberId: false });
    await coordinator.sync('g', first.generationId, first.memberId, [
      { memberId: first.memberId, assignment: Buffer.from('a') },
    ]);
    const again = await joinWith(coordinator, { groupInstanceId: 'i-1' });
    expect(again).toMatchObject({
      errorCode: ErrorCode.NONE,
      generationId: first.generationId,
      leader: first.memberId,
    });
    expect(again.memberId).not.toBe(first.memberId);
    expect(again.memberId.startsWith('i-1-')).toBe(true);
    expect(coordinator.heartbeat('g', first.generationId, first.memberId, 'i-1')).toBe(
      ErrorCode.FENCED_INSTANCE_ID,
    );
    expect(coordinator.heartbeat('g', first.generationId, again.memberId, 'i-1')).toBe(ErrorCode.NONE);
    expect(coordinator.describe('g')).toMatchObject({
      state: 'Stable',
      members: [{ assignment: Buffer.from('a') }],
    });
  });

  test('SyncGroup with another protocol type or name is INCONSISTENT_GROUP_PROTOCOL', async () => {
    const member = await joinWith(coordinator, {});
    const sync = (protocolType: string, protocolName: string) =>
      coordinator.sync('g', member.generationId, member.memberId, [], { protocolType, protocolName });
    expect((await sync('connect', 'range')).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await sync('consumer', 'roundrobin')).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await sync('consumer', 'range')).errorCode).toBe(ErrorCode.NONE);
  });

  test('commits to a group that is gone are ILLEGAL_GENERATION; generation -1 commits to an Empty group', () => {
    expect(coordinator.commitCheck('gone', 3, 'someone')).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(coordinator.describe('gone').state).toBe('Dead');
    expect(coordinator.commitCheck('standalone', -1, 'someone')).toBe(ErrorCode.NONE);
    expect(coordinator.commitCheck('', -1, '')).toBe(ErrorCode.NONE);
  });

  test('a member that does not sync within the rebalance timeout is dropped and the group rebalances', async () => {
    jest.useFakeTimers();
    const timed = new GroupCoordinator();
    try {
      const first = await joinWith(timed, { rebalanceTimeoutMs: 3000 });
      await timed.sync('g', first.generationId, first.memberId, []);
      const second = joinWith(timed, { rebalanceTimeoutMs: 3000 });
      const firstAgain = await joinWith(timed, { memberId: first.memberId, rebalanceTimeoutMs: 3000 });
      const other = await second;
      const leader = firstAgain.leader === first.memberId ? firstAgain : other;
      await timed.sync('g', leader.generationId, leader.memberId, []);
      jest.advanceTimersByTime(3500);
      expect(timed.describe('g')).toMatchObject({
        state: 'PreparingRebalance',
        members: [{ memberId: leader.memberId }],
      });
    } finally {
      timed.close();
      jest.useRealTimers();
    }
  });
});
