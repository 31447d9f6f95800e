#!/usr/bin/env bash
# Installs the Kafka clients the interop suite runs that do not come from npm: kcat (librdkafka) and
# kafka-python, both from Debian. Needs root (CI runs as root) or sudo.
set -euo pipefail
packages=(kcat python3-kafka)
if command -v kcat >/dev/null && /usr/bin/python3 -c 'import kafka' 2>/dev/null; then
  echo "install-test-deps: kcat and kafka-python already installed"
  exit 0
fi
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "install-test-deps: apt-get install ${packages[*]}"
run apt-get update -qq
DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq "${packages[@]}"
