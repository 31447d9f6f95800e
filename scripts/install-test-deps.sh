#!/usr/bin/env bash
# Installs what the suites beyond `npm test` need, each part skipped when it is already in place:
#   - from Debian: kcat (librdkafka), kafka-python, curl (the workshop chapters use it), shellcheck,
#     a JDK with Maven when the machine has none, and chromium (the console's browser tests and
#     screenshots drive it with playwright-core; about 480 MB and 100 s the first time);
#   - from Maven Central: Apache Kafka (broker, CLI tools, Java client) as a folder of jars, pinned by
#     test/peers/apache-kafka/pom.xml;
#   - from PyPI: confluent-kafka and kafka-python 3.x in a venv, pinned by test/peers/python/requirements.txt,
#     and in another venv the AWS tools (cfn-lint, checkov, moto server) pinned by scripts/aws-tools/requirements.txt;
#   - from the Go module proxy: the franz-go probe in test/peers/franz-go, built once.
# Everything but the Debian packages goes under .test-deps/ (ignored by git). Needs root (CI runs as
# root) or sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
deps="$root/.test-deps"
mkdir -p "$deps"

run_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
say() { echo "install-test-deps: $*"; }
# A digest of the files an install was made from: a changed pin reinstalls, an unchanged one is reused.
digest() { cat "$@" | sha256sum | cut -c1-16; }
# Whether the marker file $1 records the digest $2, i.e. that install is current.
current() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

debian() {
  # Each package only when what it provides is missing; one apt-get update for all of them.
  local packages=()
  command -v kcat >/dev/null || packages+=(kcat)
  /usr/bin/python3 -c 'import kafka' 2>/dev/null || packages+=(python3-kafka)
  command -v curl >/dev/null || packages+=(curl)
  command -v shellcheck >/dev/null || packages+=(shellcheck)
  command -v java >/dev/null && command -v javac >/dev/null || packages+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null || packages+=(maven)
  # Debian's build, not playwright's download (which these machines cannot reach); the version is not
  # pinned, so security updates replace it. test/support/browser.ts launches /usr/bin/chromium.
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  if [ ${#packages[@]} -eq 0 ]; then
    say "Debian packages already installed (kcat, kafka-python, curl, shellcheck, JDK, Maven, chromium)"
    return
  fi
  say "apt-get install ${packages[*]}"
  run_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive run_root apt-get install -y -qq "${packages[@]}"
}

apache_kafka() {
  local pom="test/peers/apache-kafka/pom.xml"
  local version
  version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
  local dir="$deps/apache-kafka-$version"
  local stamp
  stamp=$(digest "$pom")
  if current "$dir/.installed" "$stamp"; then
    say "Apache Kafka $version already in ${dir#"$root"/}"
    return
  fi
  say "Apache Kafka $version from Maven Central into ${dir#"$root"/} (about 60 MB)"
  rm -rf "$dir"
  # Maven's own output only when it fails (even quiet, it writes colour resets to the terminal).
  local log="$deps/maven.log"
  if ! mvn --batch-mode --no-transfer-progress -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dir/libs" >"$log" 2>&1; then
    cat "$log"
    say "mvn could not resolve Apache Kafka $version (above): is Maven Central reachable?"
    exit 1
  fi
  echo "$stamp" >"$dir/.installed"
  say "Apache Kafka $version: $(find "$dir/libs" -name '*.jar' | wc -l) jars"
}

# A venv at $deps/NAME with the pinned packages of REQUIREMENTS, rebuilt when that file changes.
pip_venv() {
  local label=$1 requirements=$2 venv="$deps/$3"
  local stamp
  stamp=$(digest "$requirements")
  if current "$venv/.installed" "$stamp"; then
    say "$label already in ${venv#"$root"/}"
    return
  fi
  say "$label from PyPI into a venv at ${venv#"$root"/}: $(grep -v '^#' "$requirements" | tr '\n' ' ')"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$stamp" >"$venv/.installed"
}

franz_go() {
  local source="test/peers/franz-go"
  local out="$deps/go/franz-probe"
  local stamp
  stamp=$(digest "$source/go.mod" "$source/go.sum" "$source"/*.go)
  if [ -x "$out" ] && current "$out.installed" "$stamp"; then
    say "franz-go probe already built at ${out#"$root"/}"
    return
  fi
  if ! command -v go >/dev/null; then
    say "Go is not installed: the franz-go interop test will say so and fail (install Go 1.26 or newer, which franz-go v1.22 requires)"
    return
  fi
  say "franz-go probe: modules from the Go module proxy, built into ${out#"$root"/}"
  mkdir -p "$(dirname "$out")"
  (cd "$source" && go build -o "$out" .)
  echo "$stamp" >"$out.installed"
}

debian
apache_kafka
pip_venv "Python clients" test/peers/python/requirements.txt python
pip_venv "AWS tools (cfn-lint, checkov, moto)" scripts/aws-tools/requirements.txt aws-tools
franz_go
