"""Produce and consume with kafka-python, the way the original workshop's Python exercises did:
a KafkaProducer sending keyed JSON records, then a KafkaConsumer in a group reading from the
earliest offset. Prints one JSON line per record consumed.

Usage: /usr/bin/python3 kafka_python_roundtrip.py BOOTSTRAP TOPIC COUNT
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

producer = KafkaProducer(
    bootstrap_servers=bootstrap,
    key_serializer=lambda k: k.encode("utf-8"),
    value_serializer=lambda v: json.dumps(v).encode("utf-8"),
)
for i in range(count):
    producer.send(topic, key=f"sensor-{i % 3}", value={"reading": i}, headers=[("unit", b"celsius")])
producer.flush()
producer.close()

consumer = KafkaConsumer(
    topic,
    bootstrap_servers=bootstrap,
    group_id=f"python-{topic}",
    auto_offset_reset="earliest",
    consumer_timeout_ms=10000,
    value_deserializer=lambda v: json.loads(v.decode("utf-8")),
)
seen = 0
for message in consumer:
    print(json.dumps({
        "key": message.key.decode("utf-8"),
        "value": message.value,
        "headers": {k: v.decode("utf-8") for k, v in message.headers},
        "partition": message.partition,
        "offset": message.offset,
    }), flush=True)
    seen += 1
    if seen == count:
        break
consumer.commit()
consumer.close()
