/**
 * How the local runtime creates the template's topics on the brokers it has: the template's
 * replication factor and min.insync.replicas, lowered only as far as those brokers require.
 */
import type { LocalTopicSpec } from '../../local/runtime/assembly';
import { topicCreation } from '../../local/runtime/provisioning/kafka';

/** A topic as the default app (MSK Serverless) states it. */
const orders = (replicationFactor: number, configs: Record<string, string>): LocalTopicSpec => ({
  id: 'kw-dev-pipeline/TopicsOrders',
  name: 'orders',
  partitions: 3,
  replicationFactor,
  configs,
});
const serverless = orders(3, { 'min.insync.replicas': '2', 'retention.ms': '604800000' });

describe('topic creation on the brokers present', () => {
  test('GIVEN three brokers THEN the topic gets the template replication factor 3 and min.insync.replicas 2 unchanged', () => {
    expect(topicCreation(serverless, 3)).toEqual({
      replicationFactor: 3,
      configs: { 'min.insync.replicas': '2', 'retention.ms': '604800000' },
    });
  });

  test('GIVEN one broker THEN both are lowered to 1, and the change says from what to what', () => {
    expect(topicCreation(serverless, 1)).toEqual({
      replicationFactor: 1,
      configs: { 'min.insync.replicas': '1', 'retention.ms': '604800000' },
      lowered: { from: 'replication factor 3 and min.insync.replicas 2', to: '1 and 1' },
    });
  });

  test('GIVEN two brokers THEN the factor is lowered to 2 and min.insync.replicas 2 kept', () => {
    expect(topicCreation(serverless, 2)).toEqual({
      replicationFactor: 2,
      configs: { 'min.insync.replicas': '2', 'retention.ms': '604800000' },
      lowered: { from: 'replication factor 3', to: '2' },
    });
  });

  test('GIVEN -1 (the cluster default) THEN the factor and min.insync.replicas go as stated', () => {
    expect(topicCreation(orders(-1, { 'min.insync.replicas': '2' }), 1)).toEqual({
      replicationFactor: -1,
      configs: { 'min.insync.replicas': '2' },
    });
  });

  test('GIVEN min.insync.replicas above a factor the brokers hold THEN it is lowered to the factor', () => {
    expect(topicCreation(orders(1, { 'min.insync.replicas': '2' }), 3)).toEqual({
      replicationFactor: 1,
      configs: { 'min.insync.replicas': '1' },
      lowered: { from: 'replication factor 1 and min.insync.replicas 2', to: '1 and 1' },
    });
  });
});
