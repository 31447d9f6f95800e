"""What the Python probes print: one JSON object per line, an "event" field naming what was observed,
so the test (test/interop/python-clients.test.ts) decides what is right, not the probe."""
import json
import sys
import threading
import time

# Long enough that a client waiting out a timeout shows up as a hang in the test, not as a result.
CLIENT_TIMEOUT_S = 60


_emitting = threading.Lock()


def emit(event, **fields):
    # One write per line, under a lock: a client's callbacks emit from threads of their own.
    line = json.dumps({"event": event, **fields}) + "\n"
    with _emitting:
        sys.stdout.write(line)
        sys.stdout.flush()


def order(i):
    """Record i: key customer-(i mod 5), value order-i, headers trace and source."""
    return f"customer-{i % 5}", f"order-{i}", [("trace", f"t-{i}".encode()), ("source", b"python")]


def headers_of(pairs):
    return {k: (v.decode() if v is not None else None) for k, v in (pairs or [])}


def elapsed_ms(started):
    return round((time.monotonic() - started) * 1000)


def stop_on_stdin():
    """An event set once a line (or the end) arrives on stdin: the test's word to stop producing."""
    stop = threading.Event()

    def wait():
        sys.stdin.readline()
        stop.set()

    threading.Thread(target=wait, daemon=True).start()
    return stop


def wait_until_read(acked, read, lock):
    """Waits, up to CLIENT_TIMEOUT_S, until every acknowledged value has been read."""
    deadline = time.monotonic() + CLIENT_TIMEOUT_S
    while time.monotonic() < deadline:
        with lock:
            if acked <= read:
                return
        time.sleep(0.1)


def run(commands):
    """Runs the command named by argv[1] with the remaining arguments."""
    command, args = sys.argv[1], sys.argv[2:]
    if command not in commands:
        sys.exit(f"unknown command {command}: use one of {', '.join(commands)}")
    commands[command](*args)
