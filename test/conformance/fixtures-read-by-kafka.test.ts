/**
 * The protocol layouts held to Apache Kafka's own reading of them: Kafka 3.9.2's generated message
 * classes read every committed fixture (local/kafka/fixtures: bytes real clients and Kafka exchanged,
 * and a few our codec encoded) and exemplars of every version of every layout our codec writes (each
 * field set, then each nullable one null). For each side, Kafka must read every byte, write the same
 * bytes back, know every tagged field, and read the same fields and values our codec reads. The few
 * sides where the two cannot agree are listed below with the reason.
 */
import { requireApacheKafka } from '../support/apache-kafka';
import { checkWithKafka, type KafkaCheck } from '../support/kafka-fixtures';

/** Fixture sides outside what both readers speak, and why; each must still disagree. */
const BELOW_OUR_VERSIONS =
  'kafka-python pinned to broker 0.10.1 speaks a version below the lowest our layout declares (record batches, magic 2, start at Produce v3 and Fetch v4), so our codec refuses it; Kafka reads it';
const FRANZ_API_VERSIONS_V5 =
  'franz-go opens with ApiVersions v5, newer than Kafka 3.9.2 knows; Kafka answers UNSUPPORTED_VERSION in the v0 layout, so neither side reads as v5 there';
const KAFKA_4_ONLY =
  'ConsumerGroupHeartbeat v1 (regex subscriptions) arrived in Apache Kafka 4.0; 3.9.2 has no v1 of its structs';
const FIXTURES_APART: Readonly<Record<string, string>> = {
  '00-produce/v2.kafka-python-0-10.json request': BELOW_OUR_VERSIONS,
  '00-produce/v2.kafka-python-0-10.json response': BELOW_OUR_VERSIONS,
  '01-fetch/v3.kafka-python-0-10.json request': BELOW_OUR_VERSIONS,
  '01-fetch/v3.kafka-python-0-10.json response': BELOW_OUR_VERSIONS,
  '18-api-versions/v5.franz-go.json request': FRANZ_API_VERSIONS_V5,
  '18-api-versions/v5.franz-go.json response': FRANZ_API_VERSIONS_V5,
  '68-consumer-group-heartbeat/v1.encoded-here.json request': KAFKA_4_ONLY,
  '68-consumer-group-heartbeat/v1.encoded-here.json response': KAFKA_4_ONLY,
};

/** Encoded versions Kafka 3.9.2 cannot read, and why. */
const VERSIONS_APART: Readonly<Record<string, string>> = {
  '68-consumer-group-heartbeat.v1.json request': KAFKA_4_ONLY,
  '68-consumer-group-heartbeat.v1.json response': KAFKA_4_ONLY,
  '68-consumer-group-heartbeat.v1.nulls.json request': KAFKA_4_ONLY,
};

function disagreeing(checks: readonly KafkaCheck[]): Record<string, string> {
  return Object.fromEntries(
    checks.filter((c) => c.problems.length > 0).map((c) => [`${c.name} ${c.side}`, c.problems.join('; ')]),
  );
}

describe('protocol layouts as Apache Kafka reads them', () => {
  beforeAll(() => {
    requireApacheKafka();
  });

  test('GIVEN every committed fixture WHEN Kafka and our codec read it THEN they read the same message', async () => {
    const checks = await checkWithKafka(false);
    expect(checks.length).toBeGreaterThan(250);
    expect(Object.keys(disagreeing(checks)).sort()).toEqual(Object.keys(FIXTURES_APART).sort());
  }, 300_000);

  test('GIVEN every version of every layout encoded by our codec WHEN Kafka reads it THEN it reads the same message', async () => {
    const checks = await checkWithKafka(true);
    expect(checks.length).toBeGreaterThan(600);
    expect(Object.keys(disagreeing(checks)).sort()).toEqual(Object.keys(VERSIONS_APART).sort());
  }, 300_000);
});
