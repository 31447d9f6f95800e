/**
 * The suites beyond `npm test` need peers this project installs (Java with Apache Kafka's jars, the
 * Python clients, the franz-go probe). Without them, they must say what is missing and how to get
 * it, not fail somewhere inside a client. Checked here with Node alone.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { APACHE_KAFKA_VERSION, findApacheKafka, PeerMissingError } from '../support/apache-kafka';

const ROOT = path.join(__dirname, '..', '..');

test('without Java, Apache Kafka is refused with what to install', () => {
  const attempt = () => findApacheKafka({ javaHome: '/nonexistent-jdk', libs: '/nonexistent-libs' });
  expect(attempt).toThrow(PeerMissingError);
  expect(attempt).toThrow(
    /Java is not installed \(no \/nonexistent-jdk\/bin\/java\).*scripts\/install-test-deps\.sh/,
  );
});

test('without the jars, Apache Kafka is refused with where they should be and how to get them', () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'kw-no-jars-'));
  const attempt = () => findApacheKafka({ javaHome: process.env.JAVA_HOME, libs: empty });
  // On a machine without Java the first check answers instead; either way the message says what to run.
  expect(attempt).toThrow(PeerMissingError);
  expect(attempt).toThrow(
    new RegExp(
      `(Apache Kafka ${APACHE_KAFKA_VERSION.replaceAll('.', '\\.')} is not installed|Java is not installed).*install-test-deps`,
    ),
  );
});

test('the README names the Apache Kafka version the pom pins, and the install script reads that pom', () => {
  expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(
    `Apache Kafka ${APACHE_KAFKA_VERSION}`,
  );
  const install = readFileSync(path.join(ROOT, 'scripts', 'install-test-deps.sh'), 'utf8');
  expect(install).toContain('test/peers/apache-kafka/pom.xml');
});
