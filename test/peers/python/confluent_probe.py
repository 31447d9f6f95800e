"""confluent-kafka (current librdkafka, from PyPI) driven against a broker: admin, an idempotent
producer with keys and headers, a group consumer that commits, and the features the embedded broker
leaves out (a transactional producer, the KIP-848 consumer group protocol). Prints JSON lines
(probe_events.py). Run by test/interop/python-clients.test.ts with the venv's interpreter.

Usage: python confluent_probe.py COMMAND BOOTSTRAP ARGS...
  admin BOOTSTRAP TOPIC PARTITIONS          create, create again, describe the topic and the cluster
  produce BOOTSTRAP TOPIC COUNT             enable.idempotence=true, acks=all, keyed records with headers
  consume BOOTSTRAP TOPIC GROUP COUNT       a group member reads COUNT records, commits, reads the commit back
  transactional BOOTSTRAP                   init_transactions() on a transactional producer
  consumer-protocol BOOTSTRAP TOPIC         a consumer with group.protocol=consumer polls
  leader-move BOOTSTRAP TOPIC GROUP         until a line on stdin: acks=all records m-0, m-1, ... and a
                                            group member reading them (see leader_move)
"""
import threading
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicCollection
from confluent_kafka.admin import AdminClient, NewTopic

from probe_events import (
    CLIENT_TIMEOUT_S,
    elapsed_ms,
    emit,
    headers_of,
    order,
    run,
    stop_on_stdin,
    wait_until_read,
)


def admin(bootstrap, topic, partitions):
    client = AdminClient({"bootstrap.servers": bootstrap})
    new_topic = NewTopic(topic, num_partitions=int(partitions), replication_factor=1)
    client.create_topics([new_topic])[topic].result()
    emit("created", topic=topic)
    try:
        client.create_topics([new_topic])[topic].result()
        emit("create-again", topic=topic, error=None)
    except KafkaException as e:
        emit("create-again", topic=topic, error=e.args[0].name())
    described = client.describe_topics(TopicCollection([topic]))[topic].result()
    emit(
        "topic",
        name=described.name,
        partitions=[
            {
                "partition": p.id,
                "leader": p.leader.id,
                "replicas": [n.id for n in p.replicas],
                "isr": [n.id for n in p.isr],
            }
            for p in described.partitions
        ],
    )
    cluster = client.describe_cluster().result()
    emit(
        "cluster",
        clusterId=cluster.cluster_id,
        controller=cluster.controller.id,
        nodes=sorted(
            ({"id": n.id, "host": n.host, "port": n.port} for n in cluster.nodes),
            key=lambda n: n["id"],
        ),
    )


def produce(bootstrap, topic, count):
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            # The Java client's placement (murmur2 of the key), which the test predicts; librdkafka's
            # default, consistent_random, hashes keys with CRC32 instead.
            "partitioner": "murmur2_random",
        }
    )
    delivered = {}

    def on_delivery(error, message):
        if error is not None:
            raise KafkaException(error)
        delivered[message.value().decode()] = (message.partition(), message.offset())

    for i in range(int(count)):
        key, value, headers = order(i)
        producer.produce(topic, key=key, value=value, headers=headers, on_delivery=on_delivery)
    if producer.flush(CLIENT_TIMEOUT_S) != 0:
        raise SystemExit("records left undelivered")
    for i in range(int(count)):
        key, value, headers = order(i)
        partition, offset = delivered[value]
        emit(
            "produced",
            key=key,
            value=value,
            headers=headers_of(headers),
            partition=partition,
            offset=offset,
        )


def consume(bootstrap, topic, group, count):
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    seen = 0
    deadline = time.monotonic() + CLIENT_TIMEOUT_S
    while seen < int(count) and time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is None:
            continue
        if message.error():
            raise KafkaException(message.error())
        emit(
            "consumed",
            key=message.key().decode(),
            value=message.value().decode(),
            headers=headers_of(message.headers()),
            partition=message.partition(),
            offset=message.offset(),
        )
        consumer.commit(message=message, asynchronous=False)
        seen += 1
    assigned = consumer.assignment()
    committed = consumer.committed(assigned, timeout=CLIENT_TIMEOUT_S)
    emit("committed", offsets={f"{tp.topic}-{tp.partition}": tp.offset for tp in committed})
    consumer.close()


def transactional(bootstrap):
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": "confluent-probe-transactions"})
    started = time.monotonic()
    try:
        producer.init_transactions(CLIENT_TIMEOUT_S)
        emit("initialized", elapsedMs=elapsed_ms(started))
    except KafkaException as e:
        error = e.args[0]
        emit(
            "failed",
            call="init_transactions",
            error=error.name(),
            fatal=error.fatal(),
            retriable=error.retriable(),
            message=error.str(),
            elapsedMs=elapsed_ms(started),
        )


def consumer_protocol(bootstrap, topic):
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "confluent-probe-consumer-protocol",
            "group.protocol": "consumer",
        }
    )
    started = time.monotonic()
    consumer.subscribe([topic])
    while time.monotonic() - started < CLIENT_TIMEOUT_S:
        message = consumer.poll(0.2)
        if message is not None and message.error():
            error = message.error()
            emit(
                "failed",
                call="poll",
                error=error.name(),
                fatal=error.code() == KafkaError._FATAL,
                message=error.str(),
                elapsedMs=elapsed_ms(started),
            )
            break
        if message is not None:
            emit("consumed", elapsedMs=elapsed_ms(started))
            break
    else:
        emit("waited", elapsedMs=elapsed_ms(started))
    consumer.close()


def leader_move(bootstrap, topic, group):
    """Produces acks=all records m-0, m-1, ... (idempotent, about 50 a second) while a group member
    reads the topic, until a line arrives on stdin (the test moves the partition's leader meanwhile);
    then delivers what is queued and reads until every acknowledged record is read. Prints acked,
    failed and consumed events, and the errors librdkafka reports on the way."""
    stop = stop_on_stdin()
    lock = threading.Lock()
    acked, read = set(), set()
    reading = threading.Event()

    def consume():
        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": True,
            }
        )
        consumer.subscribe([topic])
        while not reading.is_set():
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error():
                emit("consumer-error", error=message.error().name())
                continue
            value = message.value().decode()
            with lock:
                read.add(value)
            emit("consumed", value=value, offset=message.offset())
        consumer.close()

    reader = threading.Thread(target=consume)
    reader.start()

    def on_delivery(error, message):
        value = message.value().decode()
        if error is not None:
            emit("failed", value=value, error=error.name())
            return
        with lock:
            acked.add(value)
        emit("acked", value=value, offset=message.offset())

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 0,
            "error_cb": lambda error: emit("client-error", error=error.name()),
        }
    )
    sent = 0
    while not stop.is_set():
        producer.produce(topic, value=f"m-{sent}", on_delivery=on_delivery)
        sent += 1
        producer.poll(0)
        time.sleep(0.02)
    emit("stopped", sent=sent, undelivered=producer.flush(CLIENT_TIMEOUT_S))
    wait_until_read(acked, read, lock)
    reading.set()
    reader.join()
    emit("done", acked=len(acked), read=len(read))


emit(
    "client",
    name="confluent-kafka",
    version=confluent_kafka.__version__,
    librdkafka=confluent_kafka.libversion()[0],
)
run(
    {
        "admin": admin,
        "produce": produce,
        "consume": consume,
        "transactional": transactional,
        "consumer-protocol": consumer_protocol,
        "leader-move": leader_move,
    }
)
