/**
 * The LocalStack setup, checked without Docker: the compose file parses and keeps the properties the
 * deploy script and README rely on, and the self-managed target it deploys synthesizes with that
 * broker address.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { synthWorkshop } from '../support/workshop-app';

const ROOT = path.join(__dirname, '..', '..');
interface Service {
  image: string;
  ports?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(readFileSync(path.join(ROOT, 'localstack', 'docker-compose.yml'), 'utf8')) as {
  name: string;
  services: Record<string, Service>;
};
const scripts = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

describe('localstack/docker-compose.yml', () => {
  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect([name, service.image]).toEqual([name, expect.stringMatching(/^[\w./-]+:\d+(\.\d+)+$/)]);
    }
  });

  it('takes the auth token from the environment and refuses to start without it', () => {
    expect(compose.services.localstack.environment?.LOCALSTACK_AUTH_TOKEN).toMatch(
      /^\$\{LOCALSTACK_AUTH_TOKEN:\?/,
    );
  });

  it('puts Lambda containers on the network where Kafka is kafka:9092, as the deploy script says', () => {
    expect(compose.services.localstack.environment?.LAMBDA_DOCKER_NETWORK).toBe(`${compose.name}_default`);
    expect(compose.services.kafka.environment?.KAFKA_ADVERTISED_LISTENERS).toContain('INTERNAL://kafka:9092');
    expect(scripts['localstack:deploy']).toContain('-c bootstrapServers=kafka:9092');
    expect(scripts['localstack:deploy']).toContain('-c cluster=self-managed');
  });

  it('binds ports to loopback only and starts LocalStack after Kafka is healthy', () => {
    for (const service of Object.values(compose.services)) {
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    }
    expect(compose.services.localstack.depends_on?.kafka.condition).toBe('service_healthy');
    expect(compose.services.kafka.healthcheck?.test.join(' ')).toMatch(/kafka-broker-api-versions/);
  });

  it('has up, deploy, smoke and down scripts', () => {
    for (const name of ['localstack:up', 'localstack:deploy', 'localstack:smoke', 'localstack:down']) {
      expect(scripts[name]).toBeDefined();
    }
  });
});

describe('the self-managed target LocalStack deploys', () => {
  it('synthesizes with kafka:9092 and points both mappings at it', () => {
    const { stacks, template } = synthWorkshop({
      cluster: 'self-managed',
      bootstrapServers: 'kafka:9092',
      stage: 'local',
    });
    expect(stacks.network).toBeUndefined();
    const pipeline = template(stacks.pipeline);
    const mappings = pipeline.findResources('AWS::Lambda::EventSourceMapping');
    expect(Object.values(mappings)).toHaveLength(2);
    for (const m of Object.values(mappings)) {
      expect(m.Properties.SelfManagedEventSource).toEqual({
        Endpoints: { KafkaBootstrapServers: ['kafka:9092'] },
      });
    }
    pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092' } },
    });
  });
});
