/*
 * The Java client (kafka-clients, from the Apache Kafka jars the project installs) driven against a
 * broker: admin, an idempotent producer, group consumers, offsetsForTimes, and the features the
 * embedded broker leaves out (transactions, the KIP-848 consumer protocol). Compiled and run by
 * test/interop/clients/peers.ts; every fact it observes goes to stdout as one JSON object per line, so
 * the test decides what is right, not this program.
 *
 * Usage: java -cp DIR:LIBS/* KafkaClientProbe COMMAND BOOTSTRAP ARGS...
 *   admin BOOTSTRAP TOPIC PARTITIONS          create, create again, describe the topic, describe the cluster
 *   groups BOOTSTRAP                          list consumer groups with their state and committed offsets
 *   produce BOOTSTRAP TOPIC COUNT FIRST_TS    idempotent, acks=all, keys, headers, a timestamp per record
 *   group BOOTSTRAP TOPIC GROUP ASSIGNOR N    two members (range|cooperative-sticky) share TOPIC; once
 *                                             both hold partitions, N records are produced and consumed,
 *                                             and each member commits with commitSync
 *   offsets-for-times BOOTSTRAP TOPIC TS...   offsetsForTimes for each timestamp on every partition
 *   transactional BOOTSTRAP TOPIC             a transactional producer: initTransactions, then a transaction
 *   consumer-protocol BOOTSTRAP TOPIC         a consumer with group.protocol=consumer (KIP-848) polls
 *   leader-move BOOTSTRAP TOPIC GROUP         until a line on stdin: acks=all records m-0, m-1, ... and a
 *                                             group member reading them (see leaderMove)
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class KafkaClientProbe {
  /** Long enough that a client waiting out a timeout shows up as a hang in the test, not as a result. */
  private static final int CLIENT_TIMEOUT_MS = 60_000;

  public static void main(String[] args) throws Exception {
    String command = args[0];
    String bootstrap = args[1];
    switch (command) {
      case "admin" -> admin(bootstrap, args[2], Integer.parseInt(args[3]));
      case "groups" -> groups(bootstrap);
      case "produce" -> produce(bootstrap, args[2], Integer.parseInt(args[3]), Long.parseLong(args[4]));
      case "group" -> group(bootstrap, args[2], args[3], args[4], Integer.parseInt(args[5]));
      case "offsets-for-times" -> offsetsForTimes(bootstrap, args[2], List.of(args).subList(3, args.length));
      case "transactional" -> transactional(bootstrap, args[2]);
      case "consumer-protocol" -> consumerProtocol(bootstrap, args[2]);
      case "leader-move" -> leaderMove(bootstrap, args[2], args[3]);
      default -> throw new IllegalArgumentException("unknown command " + command);
    }
  }

  private static void admin(String bootstrap, String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
      print("created", "topic", topic);
      try {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        print("created-again", "topic", topic);
      } catch (ExecutionException e) {
        print("create-again-failed", "topic", topic, "error", e.getCause().getClass().getSimpleName());
      }
      TopicDescription described = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      List<Object> parts = new ArrayList<>();
      for (TopicPartitionInfo p : described.partitions()) {
        parts.add(
            fields(
                "partition", p.partition(),
                "leader", p.leader().id(),
                "replicas", ids(p.replicas()),
                "isr", ids(p.isr())));
      }
      print("topic", "name", described.name(), "internal", described.isInternal(), "partitions", parts);
      DescribeClusterResult cluster = admin.describeCluster();
      List<Object> nodes = new ArrayList<>();
      for (Node n : cluster.nodes().get()) {
        nodes.add(fields("id", n.id(), "host", n.host(), "port", n.port()));
      }
      nodes.sort((a, b) -> Integer.compare((int) asMap(a).get("id"), (int) asMap(b).get("id")));
      print(
          "cluster",
          "clusterId", cluster.clusterId().get(),
          "controller", cluster.controller().get().id(),
          "nodes", nodes);
    }
  }

  private static void groups(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Collection<ConsumerGroupListing> listed = admin.listConsumerGroups().all().get();
      for (ConsumerGroupListing g : listed) {
        Map<TopicPartition, OffsetAndMetadata> offsets =
            admin.listConsumerGroupOffsets(g.groupId()).partitionsToOffsetAndMetadata().get();
        Map<String, Object> committed = new TreeMap<>();
        offsets.forEach((tp, om) -> committed.put(tp.toString(), om.offset()));
        print(
            "group",
            "groupId", g.groupId(),
            "state", g.state().map(Object::toString).orElse(null),
            "committed", committed);
      }
    }
  }

  private static KafkaProducer<String, String> idempotentProducer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, CLIENT_TIMEOUT_MS);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  /** Record i: key customer-(i mod 5), value order-i, headers trace and source, timestamp firstTs + i s. */
  private static ProducerRecord<String, String> order(String topic, int i, long firstTimestamp) {
    ProducerRecord<String, String> record =
        new ProducerRecord<>(topic, null, firstTimestamp + i * 1000L, "customer-" + (i % 5), "order-" + i);
    record.headers().add("trace", ("t-" + i).getBytes());
    record.headers().add("source", "java".getBytes());
    return record;
  }

  private static void produce(String bootstrap, String topic, int count, long firstTimestamp)
      throws Exception {
    try (KafkaProducer<String, String> producer = idempotentProducer(bootstrap)) {
      sendOrders(producer, topic, count, firstTimestamp);
    }
  }

  private static void sendOrders(
      KafkaProducer<String, String> producer, String topic, int count, long firstTimestamp)
      throws Exception {
    List<ProducerRecord<String, String>> records = new ArrayList<>();
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      records.add(order(topic, i, firstTimestamp));
      sent.add(producer.send(records.get(i)));
    }
    producer.flush();
    for (int i = 0; i < count; i++) {
      RecordMetadata m = sent.get(i).get();
      ProducerRecord<String, String> r = records.get(i);
      print(
          "produced",
          "key", r.key(),
          "value", r.value(),
          "headers", headers(r.headers()),
          "partition", m.partition(),
          "offset", m.offset(),
          "timestamp", m.timestamp());
    }
  }

  private static void group(String bootstrap, String topic, String groupId, String assignor, int count)
      throws Exception {
    String assignorClass =
        switch (assignor) {
          case "range" -> RangeAssignor.class.getName();
          case "cooperative-sticky" -> CooperativeStickyAssignor.class.getName();
          default -> throw new IllegalArgumentException("unknown assignor " + assignor);
        };
    Map<Integer, Set<TopicPartition>> assignments = new ConcurrentHashMap<>();
    Set<String> consumed = ConcurrentHashMap.newKeySet();
    AtomicBoolean done = new AtomicBoolean(false);
    List<Thread> members = new ArrayList<>();
    List<Throwable> failures = new ArrayList<>();
    for (int member = 0; member < 2; member++) {
      int id = member;
      assignments.put(id, ConcurrentHashMap.newKeySet());
      Thread t =
          new Thread(
              () -> {
                try {
                  consumeAsMember(
                      bootstrap, topic, groupId, assignorClass, id, assignments.get(id), consumed, done);
                } catch (Throwable e) {
                  synchronized (failures) {
                    failures.add(e);
                  }
                  done.set(true);
                }
              });
      t.start();
      members.add(t);
    }
    // Produce only once both members hold partitions and no partition is held twice: the records
    // are then shared out by the assignor rather than all read by whichever member joined first.
    int partitions = partitionCount(bootstrap, topic);
    long deadline = System.currentTimeMillis() + CLIENT_TIMEOUT_MS;
    while (!settled(assignments, partitions)) {
      if (System.currentTimeMillis() > deadline || done.get()) {
        done.set(true);
        for (Thread t : members) t.join();
        throw new IllegalStateException("members never settled: " + assignments + " " + failures);
      }
      Thread.sleep(50);
    }
    Map<String, Object> settled = new TreeMap<>();
    assignments.forEach((m, tps) -> settled.put(String.valueOf(m), names(tps)));
    print("settled", "assignments", settled);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      ConsumerGroupDescription group =
          admin.describeConsumerGroups(List.of(groupId)).describedGroups().get(groupId).get();
      print(
          "group-described",
          "assignor", group.partitionAssignor(),
          "state", group.state().toString(),
          "members", group.members().size());
    }
    try (KafkaProducer<String, String> producer = idempotentProducer(bootstrap)) {
      sendOrders(producer, topic, count, System.currentTimeMillis());
    }
    deadline = System.currentTimeMillis() + CLIENT_TIMEOUT_MS;
    while (consumed.size() < count && !done.get() && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    done.set(true);
    for (Thread t : members) t.join();
    if (!failures.isEmpty()) throw new IllegalStateException("a member failed", failures.get(0));
  }

  private static boolean settled(Map<Integer, Set<TopicPartition>> assignments, int partitions) {
    int total = 0;
    Set<TopicPartition> union = new java.util.HashSet<>();
    for (Set<TopicPartition> tps : assignments.values()) {
      if (tps.isEmpty()) return false;
      total += tps.size();
      union.addAll(tps);
    }
    return total == partitions && union.size() == partitions;
  }

  private static int partitionCount(String bootstrap, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    }
  }

  private static void consumeAsMember(
      String bootstrap,
      String topic,
      String groupId,
      String assignorClass,
      int member,
      Set<TopicPartition> assigned,
      Set<String> consumed,
      AtomicBoolean done) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId + "-member-" + member);
    p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignorClass);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(
          List.of(topic),
          new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
              assigned.removeAll(partitions);
              print("revoked", "member", member, "partitions", names(partitions));
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
              assigned.addAll(partitions);
              print("assigned", "member", member, "partitions", names(partitions));
            }
          });
      while (!done.get()) {
        var records = consumer.poll(Duration.ofMillis(100));
        for (ConsumerRecord<String, String> r : records) {
          consumed.add(r.value());
          print(
              "consumed",
              "member", member,
              "key", r.key(),
              "value", r.value(),
              "headers", headers(r.headers()),
              "partition", r.partition(),
              "offset", r.offset(),
              "timestamp", r.timestamp());
        }
        if (!records.isEmpty()) {
          consumer.commitSync();
          Map<String, Object> positions = new TreeMap<>();
          for (TopicPartition tp : records.partitions()) {
            positions.put(tp.toString(), consumer.committed(Set.of(tp)).get(tp).offset());
          }
          print("committed", "member", member, "offsets", positions);
        }
      }
    }
  }

  private static void offsetsForTimes(String bootstrap, String topic, List<String> timestamps) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .collect(Collectors.toList());
      for (String ts : timestamps) {
        Map<TopicPartition, Long> query = new HashMap<>();
        for (TopicPartition tp : partitions) query.put(tp, Long.parseLong(ts));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
        for (TopicPartition tp : partitions) {
          OffsetAndTimestamp at = found.get(tp);
          print(
              "offset-for-time",
              "query", Long.parseLong(ts),
              "partition", tp.partition(),
              "offset", at == null ? null : at.offset(),
              "timestamp", at == null ? null : at.timestamp());
        }
      }
    }
  }

  private static void transactional(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "java-probe-transactions");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, CLIENT_TIMEOUT_MS);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      long started = System.nanoTime();
      try {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, "k", "v")).get();
        producer.commitTransaction();
        print("transaction-committed", "elapsedMs", elapsedMs(started));
      } catch (Exception e) {
        failed("initTransactions", e, started);
      }
    }
  }

  private static void consumerProtocol(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "java-probe-consumer-protocol");
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      long started = System.nanoTime();
      try {
        consumer.subscribe(List.of(topic));
        // An answer other than an error within the poll: the consumer joined, or is still waiting.
        consumer.poll(Duration.ofMillis(CLIENT_TIMEOUT_MS));
        print("polled", "assignment", names(consumer.assignment()), "elapsedMs", elapsedMs(started));
      } catch (Exception e) {
        failed("poll", e, started);
      }
    }
  }

  /**
   * Produces acks=all records m-0, m-1, ... (idempotent, about 50 a second) while a group member reads
   * the topic, until a line arrives on stdin (the test moves the partition's leader meanwhile); then
   * delivers what is queued and reads until every acknowledged record is read. Prints acked, failed
   * and consumed events.
   */
  private static void leaderMove(String bootstrap, String topic, String groupId) throws Exception {
    AtomicBoolean stop = new AtomicBoolean(false);
    Thread stdin =
        new Thread(
            () -> {
              try {
                new BufferedReader(new InputStreamReader(System.in)).readLine();
              } catch (Exception e) {
                // the end of input says stop just the same
              }
              stop.set(true);
            });
    stdin.setDaemon(true);
    stdin.start();
    Set<String> acked = ConcurrentHashMap.newKeySet();
    Set<String> read = ConcurrentHashMap.newKeySet();
    AtomicBoolean reading = new AtomicBoolean(true);
    Thread member =
        new Thread(
            () -> {
              Properties p = new Properties();
              p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
              p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
              p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
              p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true);
              try (KafkaConsumer<String, String> consumer =
                  new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(topic));
                while (reading.get()) {
                  for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    read.add(r.value());
                    print("consumed", "value", r.value(), "offset", r.offset());
                  }
                }
              } catch (Exception e) {
                print("consumer-error", "error", e.getClass().getName(), "message", e.getMessage());
              }
            });
    member.start();
    int sent = 0;
    try (KafkaProducer<String, String> producer = idempotentProducer(bootstrap)) {
      while (!stop.get()) {
        String value = "m-" + sent++;
        producer.send(
            new ProducerRecord<>(topic, value),
            (metadata, error) -> {
              if (error != null) {
                print("failed", "value", value, "error", error.getClass().getName());
              } else {
                acked.add(value);
                print("acked", "value", value, "offset", metadata.offset());
              }
            });
        Thread.sleep(20);
      }
      producer.flush();
    }
    print("stopped", "sent", sent);
    long deadline = System.currentTimeMillis() + CLIENT_TIMEOUT_MS;
    while (!read.containsAll(acked) && System.currentTimeMillis() < deadline) Thread.sleep(100);
    reading.set(false);
    member.join();
    print("done", "acked", acked.size(), "read", read.size());
  }

  private static void failed(String call, Exception e, long started) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    print(
        "failed",
        "call", call,
        "error", cause.getClass().getName(),
        "message", cause.getMessage(),
        "elapsedMs", elapsedMs(started));
  }

  private static long elapsedMs(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1_000_000;
  }

  private static List<Integer> ids(List<Node> nodes) {
    return nodes.stream().map(Node::id).sorted().collect(Collectors.toList());
  }

  private static List<String> names(Collection<TopicPartition> partitions) {
    return partitions.stream().map(TopicPartition::toString).sorted().collect(Collectors.toList());
  }

  private static Map<String, Object> headers(Iterable<Header> headers) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Header h : headers) out.put(h.key(), new String(h.value()));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) {
    return (Map<String, Object>) o;
  }

  /** Alternating names and values, kept in order. */
  private static Map<String, Object> fields(Object... namesAndValues) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      out.put((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    return out;
  }

  /** One JSON line: {"event": EVENT, ...fields}. Synchronized so member threads never interleave. */
  private static synchronized void print(String event, Object... namesAndValues) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("event", event);
    line.putAll(fields(namesAndValues));
    System.out.println(json(line));
    System.out.flush();
  }

  private static String json(Object value) {
    if (value == null) return "null";
    if (value instanceof Number || value instanceof Boolean) return value.toString();
    if (value instanceof Map<?, ?> map) {
      return map.entrySet().stream()
          .map(e -> json(String.valueOf(e.getKey())) + ":" + json(e.getValue()))
          .collect(Collectors.joining(",", "{", "}"));
    }
    if (value instanceof Collection<?> list) {
      return list.stream().map(KafkaClientProbe::json).collect(Collectors.joining(",", "[", "]"));
    }
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toString().toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"').toString();
  }
}
