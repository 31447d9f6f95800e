/*
 * The Java client with MSK's own IAM library (software.amazon.msk:aws-msk-iam-auth, its shaded "all"
 * jar among the Apache Kafka jars) against a broker's IAM listener: SASL mechanism AWS_MSK_IAM, the
 * IAMLoginModule and IAMClientCallbackHandler configured as MSK's guide configures them. It produces
 * COUNT records and reads them back; a refused authentication is printed as an "error" event with the
 * client's own exception. Compiled and run by test/interop/msk-iam-clients.test.ts; one JSON object
 * per line on stdout.
 *
 * Usage: java -cp DIR:LIBS/* MskIamProbe BOOTSTRAP REGION ACCESS_KEY SECRET SESSION_TOKEN|- TOPIC COUNT
 *   The credentials become the AWS SDK's system properties (aws.accessKeyId, ...), the first source of
 *   its default chain, as a role's credentials are on AWS.
 */
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class MskIamProbe {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    System.setProperty("aws.region", args[1]);
    System.setProperty("aws.accessKeyId", args[2]);
    System.setProperty("aws.secretAccessKey", args[3]);
    if (!args[4].equals("-")) System.setProperty("aws.sessionToken", args[4]);
    String topic = args[5];
    int count = Integer.parseInt(args[6]);

    Properties common = new Properties();
    common.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    // MSK's IAM listener is TLS (SASL_SSL); the embedded broker's is plain TCP on loopback.
    common.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
    common.put(SaslConfigs.SASL_MECHANISM, "AWS_MSK_IAM");
    common.put(SaslConfigs.SASL_JAAS_CONFIG, "software.amazon.msk.auth.iam.IAMLoginModule required;");
    common.put(
        SaslConfigs.SASL_CLIENT_CALLBACK_HANDLER_CLASS,
        "software.amazon.msk.auth.iam.IAMClientCallbackHandler");
    emit("client", "version", org.apache.kafka.common.utils.AppInfoParser.getVersion());

    Properties producerProps = new Properties();
    producerProps.putAll(common);
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15000);
    producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
      for (int i = 0; i < count; i++) producer.send(new ProducerRecord<>(topic, "iam-" + i)).get();
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      emit("error", "type", cause.getClass().getSimpleName(), "message", String.valueOf(cause.getMessage()));
      return;
    }
    emit("produced", "count", count);

    Properties consumerProps = new Properties();
    consumerProps.putAll(common);
    consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .collect(Collectors.toList());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.currentTimeMillis() + 60000;
      while (values.size() < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) values.add(r.value());
      }
    }
    emit("consumed", "values", values);
  }

  /** One JSON line: the event name, then field/value pairs (strings, numbers or lists of strings). */
  private static void emit(String event, Object... fields) {
    StringBuilder line = new StringBuilder("{\"event\":").append(json(event));
    for (int i = 0; i < fields.length; i += 2)
      line.append(',').append(json(fields[i])).append(':').append(json(fields[i + 1]));
    System.out.println(line.append('}'));
    System.out.flush();
  }

  private static String json(Object value) {
    if (value instanceof Number) return value.toString();
    if (value instanceof List)
      return ((List<?>) value).stream().map(MskIamProbe::json).collect(Collectors.joining(",", "[", "]"));
    String s = String.valueOf(value);
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"').toString();
  }
}
