#!/usr/bin/env bash
# Installs what the tests need beyond npm: kcat (librdkafka) and kafka-python for the interop suite,
# curl, which the workshop chapters use, and shellcheck for the shell scripts. All from Debian; needs
# root (CI runs as root) or sudo.
set -euo pipefail
packages=(kcat python3-kafka curl shellcheck)
if command -v kcat >/dev/null && command -v curl >/dev/null && command -v shellcheck >/dev/null && /usr/bin/python3 -c 'import kafka' 2>/dev/null; then
  echo "install-test-deps: kcat, kafka-python, curl and shellcheck already installed"
  exit 0
fi
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "install-test-deps: apt-get install ${packages[*]}"
run apt-get update -qq
DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq "${packages[@]}"
