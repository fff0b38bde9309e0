#!/bin/sh
# Starts one Parley node: the image's entry point, and what .ci/cluster-test.sh runs for each of its nodes, so that
# both start a node the same way. Everything a deployment sets is in the environment:
#   PARLEY_HOME    where parley.jar and conf/ are (/app in the image; the repository with target/parley.jar here)
#   PARLEY_CONFIG  the deployment file under conf/ (application.conf; kubernetes.conf in k8s/)
#   JAVA_OPTS      extra JVM flags, appended last so that they win
# and the variables of README.md (DATABASE_URL, SUPABASE_JWT_SECRET, AKKA_SEED_NODES, PORT, AKKA_PORT, ...).
set -eu

home="${PARLEY_HOME:-/app}"
config="${PARLEY_CONFIG:-application.conf}"
case "$config" in
  /*) ;;
  *) config="$home/conf/$config" ;;
esac
jar="$home/parley.jar"
[ -f "$jar" ] || jar="$home/target/parley.jar"

if [ ! -f "$jar" ]; then
  echo "parley-start: no parley.jar under $home (build it with mvn package)" >&2
  exit 2
fi
if [ ! -f "$config" ]; then
  echo "parley-start: no configuration file $config" >&2
  exit 2
fi

# The heap follows the container's memory limit, not the host's; exec makes the JVM PID 1's successor, so that
# SIGTERM from the orchestrator reaches it and runs Akka's coordinated shutdown (close sessions with 1012, hand off
# shards, leave).
# shellcheck disable=SC2086
exec java \
  -XX:+UseContainerSupport \
  -XX:MaxRAMPercentage="${PARLEY_MAX_RAM_PERCENTAGE:-70}" \
  -XX:+ExitOnOutOfMemoryError \
  -Dconfig.file="$config" \
  ${JAVA_OPTS:-} \
  -jar "$jar" "$@"
