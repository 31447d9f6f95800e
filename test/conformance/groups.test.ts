/**
 * Conformance: classic consumer-group membership in raw frames (a client library would retry around
 * every error here): FindCoordinator, JoinGroup, SyncGroup, Heartbeat and LeaveGroup with wrong
 * generations, unknown members and rebalances in progress, and static members.
 */
import type { Struct } from '../../local/kafka/message-codec';
import { FindCoordinatorSchema } from '../../local/kafka/messages/10-find-coordinator';
import { JoinGroupSchema } from '../../local/kafka/messages/11-join-group';
import { SyncGroupSchema } from '../../local/kafka/messages/14-sync-group';
import {
  assignment,
  coordinatorReady,
  describeGroup,
  heartbeat,
  joinBody,
  joinGroup,
  joinObservation,
  joinOnce,
  leaveGroup,
  memberIdShape,
  naming,
  rejoinedPair,
  stableGroupOfOne,
  stableGroupOfTwo,
  subscription,
  syncGroup,
} from './group-requests';
import { until } from '../support/until';
import { answered, conformance, type ScenarioOptions, type Target } from './harness';

const scenario = conformance('groups');

/** A scenario that starts once the target coordinates groups. */
function groupScenario(title: string, run: (t: Target) => Promise<unknown>, options?: ScenarioOptions): void {
  scenario(
    title,
    async (t) => {
      await coordinatorReady(t);
      return run(t);
    },
    options,
  );
}

/** A coordinator as observed: its error, and whether it is one of the target's brokers at its address. */
function coordinatorObservation(t: Target, c: Struct): unknown {
  const index = t.nodeIds.indexOf(c.NodeId as number);
  return {
    ErrorCode: c.ErrorCode,
    // Free text is left out; what Kafka sends when there is no error is kept.
    ErrorMessage: [null, '', 'NONE'].includes(c.ErrorMessage as string | null) ? c.ErrorMessage : 'a message',
    Key: c.Key,
    node: index < 0 ? c.NodeId : 'a broker',
    address:
      index < 0
        ? `${String(c.Host)}:${String(c.Port)}`
        : t.bootstrap.split(',')[index] === `${String(c.Host)}:${String(c.Port)}`,
  };
}

groupScenario('FindCoordinator v0 for a group: one broker, flat answer', async (t) => {
  const response = answered(
    await t.request(FindCoordinatorSchema, 0, { Key: 'groups-find', KeyType: 0 }),
    'find coordinator',
  );
  return coordinatorObservation(t, { ...response, Key: 'not in the answer' });
});

for (const version of [1, 2, 3]) {
  groupScenario(`FindCoordinator v${version} for a group: one broker, flat answer`, async (t) => {
    const response = answered(
      await t.request(FindCoordinatorSchema, version, { Key: 'groups-find', KeyType: 0 }),
      'find coordinator',
    );
    return coordinatorObservation(t, { ...response, Key: 'not in the answer' });
  });
}

for (const version of [4, 6]) {
  groupScenario(`FindCoordinator v${version} with two group keys: one answer per key`, async (t) => {
    const response = answered(
      await t.request(FindCoordinatorSchema, version, {
        KeyType: 0,
        CoordinatorKeys: ['groups-a', 'groups-b'],
      }),
      'find coordinator',
    );
    return (response.Coordinators as Struct[]).map((c) => coordinatorObservation(t, c));
  });
}

for (const version of [3, 4]) {
  groupScenario(`FindCoordinator v${version} with an unknown key type`, async (t) => {
    const response = answered(
      await t.request(FindCoordinatorSchema, version, {
        Key: 'groups-k',
        KeyType: 7,
        CoordinatorKeys: ['groups-k'],
      }),
      'find coordinator',
    );
    return version >= 4
      ? (response.Coordinators as Struct[]).map((c) => coordinatorObservation(t, c))
      : coordinatorObservation(t, { ...response, Key: 'not in the answer' });
  });
}

groupScenario('JoinGroup v4+ without a member id: MEMBER_ID_REQUIRED and an id to rejoin with', async (t) => {
  return joinObservation(await joinOnce(t, 5, { group: 'groups-member-id-required' }));
});

groupScenario('JoinGroup v4+ rejoining with the id it was given: a group of one, it leads', async (t) => {
  const group = 'groups-rejoin-with-id';
  const first = await joinOnce(t, 7, { group, topics: ['t'] });
  const second = await joinOnce(t, 7, { group, memberId: first.MemberId as string, topics: ['t'] });
  const name = naming({ [first.MemberId as string]: 'the id given' });
  return joinObservation(second, name);
});

for (const version of [0, 1, 2, 3]) {
  groupScenario(`JoinGroup v${version} without a member id joins at once`, async (t) => {
    const response = await joinOnce(t, version, { group: `groups-join-v${version}`, topics: ['t'] });
    return joinObservation(response, naming({ [response.MemberId as string]: 'self' }));
  });
}

groupScenario(
  'JoinGroup with a protocol type other than the group’s: INCONSISTENT_GROUP_PROTOCOL',
  async (t) => {
    const group = 'groups-protocol-type';
    await stableGroupOfOne(t, { group });
    return joinObservation(await joinOnce(t, 3, { group, protocolType: 'connect' }));
  },
);

groupScenario(
  'JoinGroup with no protocol in common with the members: INCONSISTENT_GROUP_PROTOCOL',
  async (t) => {
    const group = 'groups-no-common-protocol';
    await stableGroupOfOne(t, { group });
    return joinObservation(
      await joinOnce(t, 3, { group, protocols: [{ Name: 'roundrobin', Metadata: subscription([]) }] }),
    );
  },
);

groupScenario(
  'JoinGroup with an empty protocol type or no protocols: INCONSISTENT_GROUP_PROTOCOL',
  async (t) => ({
    emptyType: joinObservation(await joinOnce(t, 3, { group: 'groups-empty-type', protocolType: '' })),
    noProtocols: joinObservation(await joinOnce(t, 3, { group: 'groups-no-protocols', protocols: [] })),
  }),
);

groupScenario(
  'JoinGroup session timeouts: group.min/max.session.timeout.ms (6 s, 30 min) bound them',
  async (t) => {
    const out: Record<string, unknown> = {};
    for (const sessionTimeoutMs of [5999, 6000, 1_800_000, 1_800_001]) {
      const response = await joinOnce(t, 3, {
        group: `groups-session-${sessionTimeoutMs}`,
        sessionTimeoutMs,
      });
      out[sessionTimeoutMs] = { ErrorCode: response.ErrorCode, GenerationId: response.GenerationId };
    }
    return out;
  },
);

groupScenario('JoinGroup with a member id the group does not know: UNKNOWN_MEMBER_ID', async (t) => {
  const group = 'groups-join-unknown-member';
  const unknownGroup = await joinOnce(t, 5, {
    group: 'groups-join-unknown-member-nogroup',
    memberId: 'nobody',
  });
  await stableGroupOfOne(t, { group });
  const knownGroup = await joinOnce(t, 5, { group, memberId: 'nobody' });
  const name = naming({ nobody: 'the id sent' });
  return { unknownGroup: joinObservation(unknownGroup, name), knownGroup: joinObservation(knownGroup, name) };
});

groupScenario('JoinGroup with an empty group id: INVALID_GROUP_ID', async (t) =>
  joinObservation(await joinOnce(t, 5, { group: '' })),
);

groupScenario(
  'a follower rejoining a Stable group with the same metadata gets the same generation',
  async (t) => {
    const group = 'groups-follower-rejoin';
    const { a, b } = await stableGroupOfTwo(t, { group, topics: ['t'] });
    const again = await joinOnce(t, 5, { group, memberId: b.memberId, topics: ['t'] });
    const described = await describeGroup(t, group);
    return {
      rejoin: joinObservation(again, naming({ [a.memberId]: 'A', [b.memberId]: 'B' })),
      state: described.GroupState,
    };
  },
);

groupScenario('the leader rejoining a Stable group starts a rebalance: the next generation', async (t) => {
  const group = 'groups-leader-rejoin';
  const { a, leader, follower } = await stableGroupOfTwo(t, { group, topics: ['t'] });
  const leaderJoin = joinOnce(t, 5, { group, memberId: leader.memberId, topics: ['t'] });
  await until(async () => (await heartbeat(t, group, follower)) === 'REBALANCE_IN_PROGRESS', 'a rebalance');
  const followerJoin = await joinOnce(t, 5, { group, memberId: follower.memberId, topics: ['t'] });
  const name = naming({ [leader.memberId]: 'leader', [follower.memberId]: 'follower' });
  return {
    leader: joinObservation(await leaderJoin, name),
    follower: joinObservation(followerJoin, name),
    generationBefore: a.generationId,
  };
});

groupScenario('SyncGroup: the leader’s assignment reaches the follower that waited for it', async (t) => {
  const group = 'groups-sync-delivery';
  const { a, leader, follower } = await rejoinedPair(t, { group, topics: ['t'] });
  const followerSync = syncGroup(t, group, follower, [], { version: 5 });
  // The leader assigns partitions to the follower only; it gets an empty assignment itself.
  const leaderSync = await syncGroup(
    t,
    group,
    leader,
    [{ MemberId: follower.memberId, Assignment: assignment({ t: [0, 1] }) }],
    { version: 5 },
  );
  return {
    leaderIsTheFirstToRejoin: a.memberId === a.leader,
    generation: a.generationId,
    leader: leaderSync,
    follower: await followerSync,
  };
});

groupScenario('SyncGroup with the wrong generation: ILLEGAL_GENERATION', async (t) => {
  const group = 'groups-sync-generation';
  const member = await joinGroup(t, 5, { group });
  return syncGroup(t, group, { ...member, generationId: member.generationId + 5 });
});

groupScenario('SyncGroup from an unknown member: UNKNOWN_MEMBER_ID (known and unknown group)', async (t) => {
  const group = 'groups-sync-unknown';
  await stableGroupOfOne(t, { group });
  return {
    knownGroup: await syncGroup(t, group, { memberId: 'nobody', generationId: 1 }),
    unknownGroup: await syncGroup(t, 'groups-sync-nogroup', { memberId: 'nobody', generationId: 1 }),
  };
});

groupScenario('SyncGroup while the group prepares a rebalance: REBALANCE_IN_PROGRESS', async (t) => {
  const group = 'groups-sync-rebalancing';
  const first = await stableGroupOfOne(t, { group });
  const joiningB = joinGroup(t, 5, { group });
  await until(async () => (await heartbeat(t, group, first)) === 'REBALANCE_IN_PROGRESS', 'a rebalance');
  const sync = await syncGroup(t, group, first);
  await joinGroup(t, 5, { group, memberId: first.memberId });
  await joiningB;
  return sync;
});

groupScenario('SyncGroup v5 with a protocol type or name other than the group’s, or none', async (t) => {
  const group = 'groups-sync-protocol';
  const member = await joinGroup(t, 5, { group });
  const connection = await t.connect();
  try {
    const sync = (protocolType: string | null, protocolName: string | null) =>
      connection.request(SyncGroupSchema, 5, {
        GroupId: group,
        GenerationId: member.generationId,
        MemberId: member.memberId,
        GroupInstanceId: null,
        ProtocolType: protocolType,
        ProtocolName: protocolName,
        Assignments: [],
      });
    return {
      otherType: await sync('connect', 'range'),
      otherName: await sync('consumer', 'roundrobin'),
      noType: await sync(null, 'range'),
      noName: await sync('consumer', null),
    };
  } finally {
    connection.close();
  }
});

groupScenario(
  'Heartbeat: NONE in Stable and between join and sync, ILLEGAL_GENERATION for another generation',
  async (t) => {
    const group = 'groups-heartbeat';
    const member = await joinGroup(t, 5, { group });
    const awaitingSync = await heartbeat(t, group, member);
    await syncGroup(t, group, member, [{ MemberId: member.memberId, Assignment: assignment({}) }]);
    return {
      awaitingSync,
      stable: await heartbeat(t, group, member),
      olderGeneration: await heartbeat(t, group, { ...member, generationId: member.generationId - 1 }),
      newerGeneration: await heartbeat(t, group, { ...member, generationId: member.generationId + 1 }),
    };
  },
);

groupScenario('Heartbeat from an unknown member or to an unknown group: UNKNOWN_MEMBER_ID', async (t) => {
  const group = 'groups-heartbeat-unknown';
  const member = await stableGroupOfOne(t, { group });
  return {
    unknownMember: await heartbeat(t, group, { memberId: 'nobody', generationId: member.generationId }),
    unknownGroup: await heartbeat(t, 'groups-heartbeat-nogroup', member),
    emptyGroupId: await heartbeat(t, '', member),
  };
});

groupScenario(
  'Heartbeat during a rebalance: REBALANCE_IN_PROGRESS, and the group waits for the rejoin',
  async (t) => {
    const group = 'groups-heartbeat-rebalance';
    const first = await stableGroupOfOne(t, { group });
    const joiningB = joinGroup(t, 5, { group });
    const during = await until(async () => {
      const code = await heartbeat(t, group, first);
      return code !== 'NONE' && code;
    }, 'a rebalance');
    const described = await describeGroup(t, group);
    const a = await joinGroup(t, 5, { group, memberId: first.memberId });
    const b = await joiningB;
    return {
      during,
      state: described.GroupState,
      membersWhileRebalancing: (described.Members as Struct[]).length,
      generations: [first.generationId, a.generationId, b.generationId],
    };
  },
);

for (const version of [0, 1, 2]) {
  groupScenario(
    `LeaveGroup v${version}: one member leaves, the group is Empty at the next generation`,
    async (t) => {
      const group = `groups-leave-v${version}`;
      const member = await stableGroupOfOne(t, { group });
      const left = await leaveGroup(t, version, group, [{ memberId: member.memberId }]);
      const again = await leaveGroup(t, version, group, [{ memberId: member.memberId }]);
      const described = await describeGroup(t, group);
      return {
        left,
        again,
        described,
        generationBefore: member.generationId,
      };
    },
  );
}

for (const version of [3, 5]) {
  groupScenario(`LeaveGroup v${version}: a batch answers per member`, async (t) => {
    const group = `groups-leave-batch-v${version}`;
    const member = await stableGroupOfOne(t, { group });
    const left = await leaveGroup(t, version, group, [{ memberId: member.memberId }, { memberId: 'nobody' }]);
    const name = naming({ [member.memberId]: 'the member', nobody: 'nobody' });
    return {
      ...left,
      Members: (left.Members as Struct[]).map((m) => ({ ...m, MemberId: name(m.MemberId) })),
    };
  });
}

for (const version of [0, 4]) {
  groupScenario(`LeaveGroup v${version} of a group that does not exist`, async (t) =>
    leaveGroup(t, version, `groups-leave-nogroup-v${version}`, [{ memberId: 'nobody' }]),
  );
}

groupScenario('LeaveGroup with neither a member id nor an instance id: UNKNOWN_MEMBER_ID', async (t) => {
  const group = 'groups-leave-nobody';
  await stableGroupOfOne(t, { group });
  const left = await leaveGroup(t, 4, group, [{ memberId: '' }]);
  return { left, state: (await describeGroup(t, group)).GroupState };
});

groupScenario(
  'a static member joins without MEMBER_ID_REQUIRED; its id starts with its instance id',
  async (t) => {
    const group = 'groups-static-join';
    const response = await joinOnce(t, 5, { group, instanceId: 'instance-1' });
    return joinObservation(
      response,
      naming({ [response.MemberId as string]: memberIdShape(response.MemberId) as string }),
    );
  },
);

groupScenario(
  'a static member rejoining a Stable group gets a new id without a rebalance; its old id is fenced',
  async (t) => {
    const group = 'groups-static-rejoin';
    const first = await stableGroupOfOne(t, { group, instanceId: 'instance-1' });
    const again = await joinOnce(t, 5, { group, instanceId: 'instance-1' });
    const name = naming({ [first.memberId]: 'old id', [again.MemberId as string]: 'new id' });
    const described = await describeGroup(t, group);
    return {
      rejoin: joinObservation(again, name),
      oldIdHeartbeat: await heartbeat(t, group, first, { version: 3, instanceId: 'instance-1' }),
      newIdHeartbeat: await heartbeat(
        t,
        group,
        { memberId: again.MemberId as string, generationId: first.generationId },
        { version: 3, instanceId: 'instance-1' },
      ),
      state: described.GroupState,
      members: (described.Members as Struct[]).map((m) => ({
        GroupInstanceId: m.GroupInstanceId,
        MemberId: name(m.MemberId),
      })),
      newIdDiffers: again.MemberId !== first.memberId,
    };
  },
);

groupScenario(
  'static membership: a known instance id with a wrong member id is FENCED_INSTANCE_ID',
  async (t) => {
    const group = 'groups-static-fenced';
    const member = await stableGroupOfOne(t, { group, instanceId: 'instance-1' });
    const join = await joinOnce(t, 5, { group, instanceId: 'instance-1', memberId: 'impostor' });
    return {
      join: joinObservation(join, naming({ impostor: 'impostor', [member.memberId]: 'member' })),
      heartbeat: await heartbeat(t, group, { ...member, memberId: 'impostor' }, { instanceId: 'instance-1' }),
      sync: await syncGroup(t, group, { ...member, memberId: 'impostor' }, [], { instanceId: 'instance-1' }),
      unknownInstance: await heartbeat(t, group, member, { instanceId: 'instance-2' }),
    };
  },
);

groupScenario('LeaveGroup v3+ by instance id alone removes the static member', async (t) => {
  const group = 'groups-static-leave';
  await stableGroupOfOne(t, { group, instanceId: 'instance-1' });
  const left = await leaveGroup(t, 4, group, [
    { memberId: '', instanceId: 'instance-1' },
    { memberId: '', instanceId: 'instance-2' },
  ]);
  const described = await describeGroup(t, group);
  return { left, state: described.GroupState, members: (described.Members as Struct[]).length };
});

groupScenario(
  'JoinGroup v9: a static leader rejoining a Stable group is told to skip the assignment',
  async (t) => {
    const group = 'groups-static-skip-assignment';
    const first = await joinGroup(t, 9, { group, instanceId: 'instance-1', topics: ['t'] });
    await syncGroup(t, group, first, [{ MemberId: first.memberId, Assignment: assignment({ t: [0] }) }]);
    const again = await t.request(
      JoinGroupSchema,
      9,
      joinBody({ group, instanceId: 'instance-1', topics: ['t'] }),
    );
    const response = answered(again, 'rejoin');
    return joinObservation(
      response,
      naming({ [first.memberId]: 'old id', [response.MemberId as string]: 'new id' }),
    );
  },
);
