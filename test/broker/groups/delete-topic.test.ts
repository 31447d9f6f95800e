/**
 * Deleting a topic through the coordinator (what DeleteTopics does): the topic goes from the cluster
 * and every group forgets its committed offsets of it, so a new topic of that name starts clean.
 */
import { GroupCoordinator } from '../../../local/broker/groups/group-coordinator';

test('deleting a topic forgets its committed offsets in every group and keeps those of other topics', () => {
  // GIVEN two groups with offsets committed for the topic and one group also for another topic
  const coordinator = new GroupCoordinator();
  const offset = { offset: 7n, leaderEpoch: -1, metadata: null };
  try {
    coordinator.commitOffset('a', 'doomed', 0, offset);
    coordinator.commitOffset('a', 'doomed', 1, offset);
    coordinator.commitOffset('a', 'kept', 0, offset);
    coordinator.commitOffset('b', 'doomed', 0, offset);
    const deleted: string[] = [];

    // WHEN the topic is deleted
    coordinator.deleteTopic({ deleteTopic: (name) => deleted.push(name) }, 'doomed');

    // THEN the cluster deleted it, and only the other topic's offset remains
    expect(deleted).toEqual(['doomed']);
    expect(coordinator.committedPartitions('a')).toEqual([{ topic: 'kept', partition: 0 }]);
    expect(coordinator.committedPartitions('b')).toEqual([]);
    expect(coordinator.committedOffset('a', 'kept', 0)).toEqual(offset);
  } finally {
    coordinator.close();
  }
});
