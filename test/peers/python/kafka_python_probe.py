"""kafka-python 3.x (pure Python, from PyPI) driven against a broker: admin, an idempotent producer
with keys and headers, a group consumer that commits, and a transactional producer (the embedded
broker has no transactions). Prints JSON lines (probe_events.py). Run by
test/interop/python-clients.test.ts with the venv's interpreter; Debian's older kafka-python is
checked by test/interop/kafka-python.test.ts.

Usage: python kafka_python_probe.py COMMAND BOOTSTRAP ARGS...
  admin BOOTSTRAP TOPIC PARTITIONS          create, create again, describe the topic and the cluster
  produce BOOTSTRAP TOPIC COUNT             enable_idempotence, acks=all, keyed records with headers
  consume BOOTSTRAP TOPIC GROUP COUNT       a group member reads COUNT records, commits, reads the commit back
  transactional BOOTSTRAP                   init_transactions() on a transactional producer
  leader-move BOOTSTRAP TOPIC GROUP         until a line on stdin: acks=all records m-0, m-1, ... and a
                                            group member reading them (see leader_move)
"""
import threading
import time

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError

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
    client = KafkaAdminClient(bootstrap_servers=bootstrap)
    client.create_topics([NewTopic(topic, int(partitions), 1)])
    emit("created", topic=topic)
    try:
        client.create_topics([NewTopic(topic, int(partitions), 1)])
        emit("create-again", topic=topic, error=None)
    except KafkaError as e:
        emit("create-again", topic=topic, error=type(e).__name__)
    [described] = client.describe_topics([topic])
    emit(
        "topic",
        name=described["name"],
        partitions=[
            {
                "partition": p["partition_index"],
                "leader": p["leader_id"],
                "replicas": p["replica_nodes"],
                "isr": p["isr_nodes"],
            }
            for p in sorted(described["partitions"], key=lambda p: p["partition_index"])
        ],
    )
    cluster = client.describe_cluster()
    emit(
        "cluster",
        clusterId=cluster["cluster_id"],
        controller=cluster["controller_id"],
        nodes=sorted(
            ({"id": b["broker_id"], "host": b["host"], "port": b["port"]} for b in cluster["brokers"]),
            key=lambda n: n["id"],
        ),
    )
    client.close()


def produce(bootstrap, topic, count):
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        key_serializer=str.encode,
        value_serializer=str.encode,
    )
    sent = []
    for i in range(int(count)):
        key, value, headers = order(i)
        sent.append((key, value, headers, producer.send(topic, key=key, value=value, headers=headers)))
    producer.flush(CLIENT_TIMEOUT_S)
    for key, value, headers, future in sent:
        metadata = future.get(CLIENT_TIMEOUT_S)
        emit(
            "produced",
            key=key,
            value=value,
            headers=headers_of(headers),
            partition=metadata.partition,
            offset=metadata.offset,
        )
    producer.close()


def consume(bootstrap, topic, group, count):
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    seen = 0
    deadline = time.monotonic() + CLIENT_TIMEOUT_S
    while seen < int(count) and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=1000).values():
            for r in records:
                emit(
                    "consumed",
                    key=r.key.decode(),
                    value=r.value.decode(),
                    headers=headers_of(r.headers),
                    partition=r.partition,
                    offset=r.offset,
                )
                seen += 1
            consumer.commit()
    emit(
        "committed",
        offsets={
            f"{tp.topic}-{tp.partition}": consumer.committed(tp) for tp in sorted(consumer.assignment())
        },
    )
    consumer.close()


def transactional(bootstrap):
    started = time.monotonic()
    try:
        producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            transactional_id="kafka-python-probe-transactions",
            max_block_ms=CLIENT_TIMEOUT_S * 1000,
        )
        producer.init_transactions()
        emit("initialized", elapsedMs=elapsed_ms(started))
    except KafkaError as e:
        emit(
            "failed",
            call="init_transactions",
            error=type(e).__name__,
            message=str(e),
            elapsedMs=elapsed_ms(started),
        )


def leader_move(bootstrap, topic, group):
    """Produces acks=all records m-0, m-1, ... (idempotent, about 50 a second) while a group member
    reads the topic, until a line arrives on stdin (the test moves the partition's leader meanwhile);
    then delivers what is queued and reads until every acknowledged record is read. Prints acked,
    failed and consumed events."""
    stop = stop_on_stdin()
    lock = threading.Lock()
    acked, read = set(), set()
    reading = threading.Event()

    def consume():
        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=True,
        )
        while not reading.is_set():
            try:
                batches = consumer.poll(timeout_ms=200)
            except KafkaError as e:
                emit("consumer-error", error=type(e).__name__)
                continue
            for records in batches.values():
                for r in records:
                    value = r.value.decode()
                    with lock:
                        read.add(value)
                    emit("consumed", value=value, offset=r.offset)
        consumer.close()

    reader = threading.Thread(target=consume)
    reader.start()

    def on_acked(value):
        def callback(metadata):
            with lock:
                acked.add(value)
            emit("acked", value=value, offset=metadata.offset)

        return callback

    def on_failed(value):
        return lambda error: emit("failed", value=value, error=type(error).__name__)

    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
        value_serializer=str.encode,
    )
    sent = 0
    while not stop.is_set():
        value = f"m-{sent}"
        future = producer.send(topic, value=value)
        future.add_callback(on_acked(value))
        future.add_errback(on_failed(value))
        sent += 1
        time.sleep(0.02)
    producer.flush(CLIENT_TIMEOUT_S)
    emit("stopped", sent=sent)
    wait_until_read(acked, read, lock)
    reading.set()
    reader.join()
    producer.close()
    emit("done", acked=len(acked), read=len(read))


emit("client", name="kafka-python", version=kafka.__version__)
run(
    {
        "admin": admin,
        "produce": produce,
        "consume": consume,
        "transactional": transactional,
        "leader-move": leader_move,
    }
)
