import { GroupCoordinator, type JoinRequest } from '../../local/broker/groups/group-coordinator';
import { ErrorCode } from '../../local/broker/protocol/errors';

const join = (
  coordinator: GroupCoordinator,
  memberId: string,
  groupId = 'g',
): ReturnType<GroupCoordinator['join']> =>
  coordinator.join({
    groupId,
    memberId,
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    requireKnownMemberId: false,
  } satisfies JoinRequest);

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
});
