import { ConfigError, readConfig } from '../../lib/config';

const NOW = new Date('2026-11-24T10:00:00.000Z');
const from = (context: Record<string, unknown>) => readConfig((key) => context[key], NOW);

describe('configuration', () => {
  test('defaults: serverless MSK, on-demand mappings, a stage and an expiry', () => {
    expect(from({})).toEqual({
      stage: 'dev',
      owner: 'workshop',
      ttlHours: 8,
      expiresAt: '2026-11-24T18:00:00.000Z',
      selfDestruct: false,
      cluster: 'serverless',
      bootstrapServers: [],
      kafkaVersion: '3.9.x.kraft',
      topicPartitions: 3,
      esmMode: 'on-demand',
      batchSize: 100,
      batchWindowSeconds: 1,
      provisioned: undefined,
    });
  });

  test('-c values arrive as strings and are parsed', () => {
    const config = from({
      cluster: 'provisioned',
      batchSize: '500',
      batchWindowSeconds: '5',
      ttlHours: '2',
      stage: 'ci-42',
    });
    expect(config).toMatchObject({
      cluster: 'provisioned',
      batchSize: 500,
      batchWindowSeconds: 5,
      stage: 'ci-42',
    });
    expect(config.expiresAt).toBe('2026-11-24T12:00:00.000Z');
  });

  test('self-managed Kafka takes a list of bootstrap servers', () => {
    expect(
      from({ cluster: 'self-managed', bootstrapServers: 'kafka:9092, 127.0.0.1:9093' }).bootstrapServers,
    ).toEqual(['kafka:9092', '127.0.0.1:9093']);
  });

  test('provisioned mode has retry defaults that can be overridden', () => {
    expect(from({ esmMode: 'provisioned' }).provisioned).toEqual({
      retryAttempts: 2,
      bisectBatchOnError: true,
      maxRecordAgeSeconds: -1,
      minimumPollers: 1,
      maximumPollers: 2,
    });
    expect(
      from({ esmMode: 'provisioned', retryAttempts: '5', bisectBatchOnError: 'false' }).provisioned,
    ).toMatchObject({
      retryAttempts: 5,
      bisectBatchOnError: false,
    });
  });

  test.each([
    [{ cluster: 'bogus' }, 'invalid cluster "bogus": expected one of serverless, provisioned, self-managed'],
    [{ esmMode: 'sometimes' }, 'invalid esmMode "sometimes": expected one of on-demand, provisioned'],
    [{ cluster: 'self-managed' }, 'cluster=self-managed requires bootstrapServers'],
    [{ cluster: 'self-managed', bootstrapServers: 'localhost' }, 'invalid bootstrapServers "localhost"'],
    [{ bootstrapServers: '127.0.0.1:9092' }, 'bootstrapServers is only used with cluster=self-managed'],
    [{ batchSize: '0' }, 'invalid batchSize "0": expected an integer from 1 to 10000'],
    [{ batchSize: 'ten' }, 'invalid batchSize "ten"'],
    [{ batchWindowSeconds: '301' }, 'invalid batchWindowSeconds "301"'],
    [{ stage: 'Prod!' }, 'invalid stage "Prod!"'],
    [{ ttlHours: '0' }, 'invalid ttlHours "0"'],
    [
      { esmMode: 'provisioned', maxRecordAgeSeconds: '30' },
      'invalid maxRecordAgeSeconds "30": expected -1 or 60-604800',
    ],
    [
      { esmMode: 'provisioned', minimumPollers: '5', maximumPollers: '2' },
      'minimumPollers (5) must not exceed maximumPollers (2)',
    ],
    [
      { esmMode: 'provisioned', bisectBatchOnError: 'yes' },
      'invalid bisectBatchOnError "yes": expected true or false',
    ],
  ])('%j is rejected: %s', (context, message) => {
    expect(() => from(context)).toThrow(ConfigError);
    expect(() => from(context)).toThrow(message);
  });

  test.each([
    'retryAttempts',
    'bisectBatchOnError',
    'maxRecordAgeSeconds',
    'minimumPollers',
    'maximumPollers',
  ])('retry option %s is rejected in on-demand mode, which CDK itself would accept', (key) => {
    expect(() => from({ [key]: '1' })).toThrow(`${key} needs esmMode=provisioned`);
  });

  test('a misspelt context key is reported rather than silently ignored; CDK keys pass', () => {
    const keys = ['clutser', 'cluster', '@aws-cdk/core:checkSecretUsage', 'aws:cdk:bundling-stacks'];
    expect(() => readConfig((key) => ({ cluster: 'provisioned' })[key], NOW, keys)).toThrow(
      'unknown context key "clutser": expected one of stage, owner',
    );
  });

  test('every problem is reported at once', () => {
    try {
      from({ cluster: 'bogus', batchSize: '-1', retryAttempts: '3' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });
});
