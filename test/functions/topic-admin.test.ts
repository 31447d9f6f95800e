import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { responseDocument, sendResponse } from '../../functions/topic-admin/cfn-response';
import { handleTopicRequest, type TopicAdminClient } from '../../functions/topic-admin/topic-admin';

/**
 * Test double for the Kafka admin API (the boundary): topics held in a map, answering the calls the
 * handler makes the way kafkajs's admin does.
 */
class InMemoryTopicAdmin implements TopicAdminClient {
  readonly topics = new Map<
    string,
    { partitions: number; replicationFactor: number; configs: Record<string, string> }
  >();
  readonly calls: string[] = [];

  async listTopics() {
    this.calls.push('listTopics');
    return [...this.topics.keys()];
  }
  async fetchTopicMetadata({ topics }: { topics?: string[] } = {}) {
    return {
      topics: (topics ?? []).map((name) => ({
        name,
        partitions: Array.from({ length: this.topics.get(name)?.partitions ?? 0 }, (_, i) => ({
          partitionErrorCode: 0,
          partitionId: i,
          leader: 1,
          replicas: [1],
          isr: [1],
          offlineReplicas: [],
        })),
      })),
    };
  }
  async createTopics({ topics }: Parameters<TopicAdminClient['createTopics']>[0]) {
    for (const t of topics) {
      this.calls.push(`createTopics ${t.topic} ${t.numPartitions}`);
      const configs = Object.fromEntries((t.configEntries ?? []).map((e) => [e.name, e.value]));
      this.topics.set(t.topic, {
        partitions: t.numPartitions ?? 1,
        replicationFactor: t.replicationFactor ?? -1,
        configs,
      });
    }
    return true;
  }
  async createPartitions({ topicPartitions }: Parameters<TopicAdminClient['createPartitions']>[0]) {
    for (const { topic, count } of topicPartitions) {
      this.calls.push(`createPartitions ${topic} ${count}`);
      this.topics.get(topic)!.partitions = count;
    }
    return true;
  }
  async alterConfigs({ resources }: Parameters<TopicAdminClient['alterConfigs']>[0]) {
    for (const r of resources) {
      this.calls.push(`alterConfigs ${r.name}`);
      this.topics.get(r.name)!.configs = Object.fromEntries(r.configEntries.map((e) => [e.name, e.value]));
    }
    return { throttleTime: 0, resources: [] };
  }
  async deleteTopics({ topics }: Parameters<TopicAdminClient['deleteTopics']>[0]) {
    for (const t of topics) {
      this.calls.push(`deleteTopics ${t}`);
      this.topics.delete(t);
    }
  }
}

/**
 * The double as MSK Serverless answers: a replication factor or a min.insync.replicas in CreateTopics
 * is refused (only the cluster's default, -1, and a few configs are accepted).
 */
class ServerlessTopicAdmin extends InMemoryTopicAdmin {
  override async createTopics(request: Parameters<TopicAdminClient['createTopics']>[0]) {
    for (const t of request.topics) {
      const refused = (t.configEntries ?? []).find((e) => e.name === 'min.insync.replicas');
      if ((t.replicationFactor ?? -1) !== -1 || refused)
        throw new Error('Request parameters do not satisfy the configured policy');
    }
    return super.createTopics(request);
  }
}

const base = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:topic-admin',
  ResponseURL: 'http://127.0.0.1:1/unused',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/kw-dev-pipeline/guid',
  RequestId: 'req-1',
  LogicalResourceId: 'TopicsOrders1234',
  ResourceType: 'Custom::KafkaTopic',
};
const props = (name: string, partitions: number | string, retentionMs = '604800000') => ({
  ServiceToken: base.ServiceToken,
  TopicName: name,
  Partitions: String(partitions), // CloudFormation passes numbers as strings
  ReplicationFactor: '-1',
  Configs: { 'retention.ms': retentionMs },
});
const create = (name: string, partitions: number | string): CloudFormationCustomResourceEvent => ({
  ...base,
  RequestType: 'Create',
  ResourceProperties: props(name, partitions),
});
const update = (
  name: string,
  partitions: number,
  oldName: string,
  oldPartitions: number,
): CloudFormationCustomResourceEvent => ({
  ...base,
  RequestType: 'Update',
  PhysicalResourceId: oldName,
  ResourceProperties: props(name, partitions),
  OldResourceProperties: props(oldName, oldPartitions),
});
const remove = (physicalId: string): CloudFormationCustomResourceEvent => ({
  ...base,
  RequestType: 'Delete',
  PhysicalResourceId: physicalId,
  ResourceProperties: props(physicalId, 3),
});

describe('topic admin custom resource', () => {
  test('Create makes the topic with its partitions and configs; the topic name is the physical id', async () => {
    const admin = new InMemoryTopicAdmin();
    const outcome = await handleTopicRequest(create('orders', 6), async () => admin);
    expect(outcome).toEqual({
      status: 'SUCCESS',
      physicalResourceId: 'orders',
      data: { TopicName: 'orders', Partitions: 6 },
    });
    expect(admin.topics.get('orders')).toEqual({
      partitions: 6,
      replicationFactor: -1,
      configs: { 'retention.ms': '604800000' },
    });
  });

  test('Create on a cluster that sets replication itself sends neither the replication factor nor min.insync.replicas the template states', async () => {
    const admin = new ServerlessTopicAdmin();
    const event = create('orders', 3);
    event.ResourceProperties = {
      ...event.ResourceProperties,
      ReplicationFactor: '3',
      Configs: { 'min.insync.replicas': '2', 'retention.ms': '604800000' },
      ReplicationSetByService: 'true',
    };
    expect(await handleTopicRequest(event, async () => admin)).toMatchObject({ status: 'SUCCESS' });
    expect(admin.topics.get('orders')).toEqual({
      partitions: 3,
      replicationFactor: -1,
      configs: { 'retention.ms': '604800000' },
    });
  });

  test('Create elsewhere sends the replication factor and min.insync.replicas as stated', async () => {
    const admin = new InMemoryTopicAdmin();
    const event = create('orders', 3);
    event.ResourceProperties = {
      ...event.ResourceProperties,
      ReplicationFactor: '1',
      Configs: { 'min.insync.replicas': '1', 'retention.ms': '604800000' },
    };
    expect(await handleTopicRequest(event, async () => admin)).toMatchObject({ status: 'SUCCESS' });
    expect(admin.topics.get('orders')).toEqual({
      partitions: 3,
      replicationFactor: 1,
      configs: { 'min.insync.replicas': '1', 'retention.ms': '604800000' },
    });
  });

  test('Update that only states what the service sets changes nothing on the cluster', async () => {
    const admin = new ServerlessTopicAdmin();
    await handleTopicRequest(create('orders', 3), async () => admin);
    const event: CloudFormationCustomResourceEvent = {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: 'orders',
      ResourceProperties: {
        ...props('orders', 3),
        ReplicationFactor: '3',
        Configs: { 'min.insync.replicas': '2', 'retention.ms': '604800000' },
        ReplicationSetByService: 'true',
      },
      OldResourceProperties: props('orders', 3),
    };
    expect(await handleTopicRequest(event, async () => admin)).toMatchObject({ status: 'SUCCESS' });
    expect(admin.calls.filter((c) => c.startsWith('alterConfigs'))).toEqual([]);
  });

  test('Create adopts an existing topic and grows it; Delete then leaves the adopted topic in place', async () => {
    const admin = new InMemoryTopicAdmin();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    const outcome = await handleTopicRequest(create('orders', 4), async () => admin);
    expect(outcome).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'orders@adopted' });
    expect(admin.calls).toContain('createPartitions orders 4');
    expect(await handleTopicRequest(remove('orders@adopted'), async () => admin)).toMatchObject({
      status: 'SUCCESS',
    });
    expect(admin.topics.get('orders')?.partitions).toBe(4);
  });

  test('Update with changed configs applies them to the topic, keeping the physical id', async () => {
    const admin = new InMemoryTopicAdmin();
    await handleTopicRequest(create('orders', 3), async () => admin);
    const event: CloudFormationCustomResourceEvent = {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: 'orders',
      ResourceProperties: props('orders', 3, '86400000'),
      OldResourceProperties: props('orders', 3),
    };
    expect(await handleTopicRequest(event, async () => admin)).toMatchObject({
      status: 'SUCCESS',
      physicalResourceId: 'orders',
    });
    expect(admin.topics.get('orders')?.configs).toEqual({ 'retention.ms': '86400000' });
  });

  test('Update with more partitions grows the topic', async () => {
    const admin = new InMemoryTopicAdmin();
    await handleTopicRequest(create('orders', 3), async () => admin);
    const outcome = await handleTopicRequest(update('orders', 6, 'orders', 3), async () => admin);
    expect(outcome.status).toBe('SUCCESS');
    expect(admin.topics.get('orders')?.partitions).toBe(6);
  });

  test('Update with fewer partitions fails with the reason, and leaves the topic as it was', async () => {
    const admin = new InMemoryTopicAdmin();
    await handleTopicRequest(create('orders', 6), async () => admin);
    const outcome = await handleTopicRequest(update('orders', 3, 'orders', 6), async () => admin);
    expect(outcome).toMatchObject({ status: 'FAILED', physicalResourceId: 'orders' });
    expect(outcome.reason).toMatch(/has 6 partitions and Kafka cannot reduce them to 3/);
    expect(admin.topics.get('orders')?.partitions).toBe(6);
  });

  test('Update to a new name creates the new topic; CloudFormation then deletes the old id', async () => {
    const admin = new InMemoryTopicAdmin();
    await handleTopicRequest(create('orders', 3), async () => admin);
    const outcome = await handleTopicRequest(update('orders.v2', 3, 'orders', 3), async () => admin);
    expect(outcome.physicalResourceId).toBe('orders.v2');
    expect(await handleTopicRequest(remove('orders'), async () => admin)).toMatchObject({
      status: 'SUCCESS',
    });
    expect([...admin.topics.keys()]).toEqual(['orders.v2']);
  });

  test('Delete removes the topic, and succeeds when it is already gone', async () => {
    const admin = new InMemoryTopicAdmin();
    await handleTopicRequest(create('orders', 3), async () => admin);
    expect((await handleTopicRequest(remove('orders'), async () => admin)).status).toBe('SUCCESS');
    expect(admin.topics.size).toBe(0);
    expect((await handleTopicRequest(remove('orders'), async () => admin)).status).toBe('SUCCESS');
  });

  test.each([
    ['a topic name Kafka rejects', 'orders/bad', 3, /invalid TopicName "orders\/bad"/],
    ['zero partitions', 'orders', 0, /invalid Partitions "0"/],
    ['a non-numeric partition count', 'orders', 'many', /invalid Partitions "many"/],
  ])('Create with %s fails clearly and touches nothing', async (_name, topic, partitions, reason) => {
    const admin = new InMemoryTopicAdmin();
    const outcome = await handleTopicRequest(create(topic, partitions), async () => admin);
    expect(outcome.status).toBe('FAILED');
    expect(outcome.reason).toMatch(reason);
    expect(admin.topics.size).toBe(0);
    // The failed Create's id lets the rollback Delete succeed without touching the cluster.
    const rollback = await handleTopicRequest(remove(outcome.physicalResourceId), async () => {
      throw new Error('must not connect');
    });
    expect(rollback.status).toBe('SUCCESS');
  });

  test('an unreachable cluster fails the request with the connection error instead of hanging', async () => {
    const outcome = await handleTopicRequest(create('orders', 3), async () => {
      throw new Error('Connection timeout');
    });
    expect(outcome).toMatchObject({ status: 'FAILED', reason: 'Error: Connection timeout' });
  });
});

describe('CloudFormation response', () => {
  let server: Server;
  let received: { method?: string; contentType?: string; body: string }[];
  let failuresLeft = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ method: req.method, contentType: req.headers['content-type'], body });
        res.statusCode = failuresLeft-- > 0 ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    received = [];
    failuresLeft = 0;
  });

  test('the outcome is PUT to the response URL as CloudFormation expects, retrying a failed PUT', async () => {
    failuresLeft = 1;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/presigned?X-Amz-Signature=abc`;
    const event = create('orders', 3);
    await sendResponse(
      url,
      responseDocument(
        event,
        { status: 'SUCCESS', physicalResourceId: 'orders', data: { Partitions: 3 } },
        'stream-1',
      ),
    );
    expect(received).toHaveLength(2);
    expect(received[1].method).toBe('PUT');
    expect(received[1].contentType ?? '').toBe('');
    expect(JSON.parse(received[1].body)).toEqual({
      Status: 'SUCCESS',
      Reason: 'see CloudWatch log stream stream-1',
      PhysicalResourceId: 'orders',
      StackId: base.StackId,
      RequestId: 'req-1',
      LogicalResourceId: base.LogicalResourceId,
      Data: { Partitions: 3 },
    });
  });
});
