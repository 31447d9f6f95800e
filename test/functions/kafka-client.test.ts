import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import {
  kafkaSettingsFromEnv,
  kafkajsConfig,
  KafkaSettingsError,
  resolveBootstrapServers,
} from '../../functions/commons/kafka-client';

// The MSK control plane is an AWS boundary we cannot reach here: its client is mocked.
const msk = mockClient(KafkaClient);
const CLUSTER_ARN =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/kw-dev/0f1e2d3c-aaaa-bbbb-cccc-111122223333-s2';

beforeEach(() => msk.reset());

describe('kafka client factory', () => {
  test('bootstrap servers from the environment are used as given, with no AWS call', async () => {
    const settings = kafkaSettingsFromEnv({ KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092, 127.0.0.1:9093' });
    expect(settings).toMatchObject({ auth: 'none', bootstrapServers: ['127.0.0.1:9092', '127.0.0.1:9093'] });
    expect(await resolveBootstrapServers(settings, new KafkaClient({ region: 'eu-west-1' }))).toEqual([
      '127.0.0.1:9092',
      '127.0.0.1:9093',
    ]);
    expect(msk.calls()).toHaveLength(0);
  });

  test('with a cluster ARN and IAM auth, the IAM listener brokers are looked up', async () => {
    msk.on(GetBootstrapBrokersCommand, { ClusterArn: CLUSTER_ARN }).resolves({
      BootstrapBrokerString: 'b-1.plain:9092',
      BootstrapBrokerStringSaslIam:
        'b-1.kwdev.x.c2.kafka.eu-west-1.amazonaws.com:9098,b-2.kwdev.x.c2.kafka.eu-west-1.amazonaws.com:9098',
    });
    const settings = kafkaSettingsFromEnv({
      KAFKA_CLUSTER_ARN: CLUSTER_ARN,
      KAFKA_AUTH: 'iam',
      AWS_REGION: 'eu-west-1',
    });
    const brokers = await resolveBootstrapServers(settings, new KafkaClient({ region: 'eu-west-1' }));
    expect(brokers).toEqual([
      'b-1.kwdev.x.c2.kafka.eu-west-1.amazonaws.com:9098',
      'b-2.kwdev.x.c2.kafka.eu-west-1.amazonaws.com:9098',
    ]);
  });

  test('a cluster without an IAM listener is a clear error', async () => {
    msk.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerString: 'b-1.plain:9092' });
    const settings = kafkaSettingsFromEnv({ KAFKA_CLUSTER_ARN: CLUSTER_ARN, KAFKA_AUTH: 'iam' });
    await expect(resolveBootstrapServers(settings, new KafkaClient({ region: 'eu-west-1' }))).rejects.toThrow(
      /returned no IAM bootstrap brokers/,
    );
  });

  test('missing or invalid settings are reported by name', () => {
    expect(() => kafkaSettingsFromEnv({})).toThrow(KafkaSettingsError);
    expect(() => kafkaSettingsFromEnv({})).toThrow(/KAFKA_BOOTSTRAP_SERVERS .* or KAFKA_CLUSTER_ARN/);
    expect(() => kafkaSettingsFromEnv({ KAFKA_BOOTSTRAP_SERVERS: 'x:1', KAFKA_AUTH: 'scram' })).toThrow(
      /invalid KAFKA_AUTH "scram"/,
    );
  });

  test('IAM auth uses TLS and an OAUTHBEARER token signed with the function credentials', async () => {
    const settings = kafkaSettingsFromEnv({
      KAFKA_BOOTSTRAP_SERVERS: 'b-1:9098',
      KAFKA_AUTH: 'iam',
      AWS_REGION: 'eu-west-1',
    });
    const config = kafkajsConfig(settings, ['b-1:9098']);
    expect(config.ssl).toBe(true);
    expect(config.sasl?.mechanism).toBe('oauthbearer');
    // The signer presigns locally with whatever credentials the environment has; no network call.
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });
    try {
      const provider = (config.sasl as { oauthBearerProvider: () => Promise<{ value: string }> })
        .oauthBearerProvider;
      const { value } = await provider();
      const url = new URL(Buffer.from(value, 'base64url').toString('utf8'));
      expect(url.hostname).toBe('kafka.eu-west-1.amazonaws.com');
      expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(
        /^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/,
      );
    } finally {
      process.env = saved;
    }
  });

  test('KAFKA_TLS=false keeps IAM auth without TLS, for the plain-TCP IAM listener of the embedded broker; anything but true or false is refused', () => {
    const local = kafkaSettingsFromEnv({
      KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9098',
      KAFKA_AUTH: 'iam',
      KAFKA_TLS: 'false',
    });
    const config = kafkajsConfig(local, ['127.0.0.1:9098']);
    expect(config.ssl).toBeUndefined();
    expect(config.sasl?.mechanism).toBe('oauthbearer');
    expect(() =>
      kafkaSettingsFromEnv({ KAFKA_BOOTSTRAP_SERVERS: 'x:1', KAFKA_AUTH: 'iam', KAFKA_TLS: 'no' }),
    ).toThrow(/invalid KAFKA_TLS "no": expected true or false/);
  });

  test('plain auth has neither TLS nor SASL', () => {
    const config = kafkajsConfig(kafkaSettingsFromEnv({ KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092' }), [
      '127.0.0.1:9092',
    ]);
    expect(config.ssl).toBeUndefined();
    expect(config.sasl).toBeUndefined();
  });
});
