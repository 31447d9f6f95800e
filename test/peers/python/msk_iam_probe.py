"""MSK IAM clients from PyPI against a broker's IAM listener: kafka-python with its own AWS_MSK_IAM
mechanism (SigV4 by kafka-python, credentials through botocore) and confluent-kafka with OAUTHBEARER
tokens from aws-msk-iam-sasl-signer-python, MSK's Python signer. Each produces COUNT records and
reads them back; a refused authentication is printed as an "error" event with the client's own text.
Prints JSON lines (probe_events.py). Run by test/interop/msk-iam-clients.test.ts with the venv's
interpreter.

Usage: python msk_iam_probe.py CLIENT BOOTSTRAP REGION ACCESS_KEY SECRET SESSION_TOKEN|- TOPIC COUNT
  CLIENT is kafka-python or confluent-kafka. The credentials go where the AWS libraries read them
  (the environment), as a Lambda function's role credentials do.
"""
import logging
import os
import sys
import time

from probe_events import CLIENT_TIMEOUT_S, emit, run

# How long a client gets to report a refused authentication before the probe gives up on it.
REFUSAL_WAIT_S = 5


def use_credentials(region, access_key, secret, session_token):
    os.environ.pop("AWS_PROFILE", None)
    os.environ["AWS_ACCESS_KEY_ID"] = access_key
    os.environ["AWS_SECRET_ACCESS_KEY"] = secret
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ["AWS_REGION"] = region
    # No instance metadata lookups: the credentials above are the only ones.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    if session_token != "-":
        os.environ["AWS_SESSION_TOKEN"] = session_token
    else:
        os.environ.pop("AWS_SESSION_TOKEN", None)


class Captured(logging.Handler):
    """The client's log records, so its own description of a refusal can be reported."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def kafka_python(bootstrap, region, access_key, secret, session_token, topic, count):
    use_credentials(region, access_key, secret, session_token)
    import kafka
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.errors import KafkaError
    from kafka.net import sasl
    from kafka.net.sasl.msk import SaslMechanismAwsMskIam

    class PlaintextAwsMskIam(SaslMechanismAwsMskIam):
        """kafka-python's AWS_MSK_IAM unchanged, except that it accepts SASL_PLAINTEXT: MSK's IAM
        listener is TLS, the embedded broker's is plain TCP on loopback."""

        def __init__(self, **config):
            super().__init__(**{**config, "security_protocol": "SASL_SSL"})

    sasl.register_sasl_mechanism("AWS_MSK_IAM", PlaintextAwsMskIam, overwrite=True)
    emit("client", name="kafka-python", version=kafka.__version__)
    captured = Captured()
    logging.getLogger("kafka").addHandler(captured)
    logging.getLogger("kafka").setLevel(logging.INFO)
    settings = dict(
        bootstrap_servers=bootstrap,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="AWS_MSK_IAM",
    )
    try:
        producer = KafkaProducer(
            acks="all",
            max_block_ms=REFUSAL_WAIT_S * 1000,
            bootstrap_timeout_ms=REFUSAL_WAIT_S * 1000,
            **settings,
        )
        for i in range(int(count)):
            producer.send(topic, value=f"iam-{i}".encode()).get(timeout=CLIENT_TIMEOUT_S)
        producer.close()
    except KafkaError as e:
        refused = [m for m in captured.messages if "Access denied" in m or "Authentication" in m]
        emit("error", type=type(e).__name__, message=str(e), log=refused[:3])
        return
    emit("produced", count=int(count))
    consumer = KafkaConsumer(
        topic,
        group_id=f"{topic}-readers",
        auto_offset_reset="earliest",
        consumer_timeout_ms=CLIENT_TIMEOUT_S * 1000,
        **settings,
    )
    values = []
    for record in consumer:
        values.append(record.value.decode())
        if len(values) == int(count):
            break
    consumer.close()
    emit("consumed", values=values)


def confluent_kafka(bootstrap, region, access_key, secret, session_token, topic, count):
    use_credentials(region, access_key, secret, session_token)
    import confluent_kafka
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
    from confluent_kafka import Consumer, Producer

    emit("client", name="confluent-kafka", version=confluent_kafka.__version__)
    errors = []

    def token(_config):
        value, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return value, expiry_ms / 1000

    settings = {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "OAUTHBEARER",
        "oauth_cb": token,
        "error_cb": lambda e: errors.append(e),
    }
    producer = Producer({**settings, "acks": "all", "message.timeout.ms": REFUSAL_WAIT_S * 1000})
    delivered = []
    for i in range(int(count)):
        producer.produce(topic, value=f"iam-{i}", on_delivery=lambda err, msg: delivered.append(err))
    # Until every record is acknowledged or the client reports a refused authentication.
    deadline = time.monotonic() + REFUSAL_WAIT_S + 5
    auth = []
    while len(delivered) < int(count) and not auth and time.monotonic() < deadline:
        producer.poll(0.2)
        auth = [e for e in errors if e.code() == confluent_kafka.KafkaError._AUTHENTICATION]
    if auth or not delivered or any(delivered):
        first = auth[0] if auth else (next((d for d in delivered if d), None) or "no delivery report")
        emit("error", type=getattr(first, "name", lambda: "timeout")(), message=str(first))
        return
    emit("produced", count=len(delivered))
    consumer = Consumer({**settings, "group.id": f"{topic}-readers", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    values = []
    deadline = time.monotonic() + CLIENT_TIMEOUT_S
    while len(values) < int(count) and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            values.append(message.value().decode())
    consumer.close()
    emit("consumed", values=values)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    run({"kafka-python": kafka_python, "confluent-kafka": confluent_kafka})
