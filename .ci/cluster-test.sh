#!/usr/bin/env bash
# Three real Parley nodes on 127.0.0.1 and one PostgreSQL schema: clients on every node run group conversations at
# a steady rate, one node is killed with SIGKILL, its clients resume on the survivors with join + since, and
# io.parley.tools.ClusterCheck checks that no acknowledged message is lost or duplicated and that every device was
# shown every message once, in order. Builds nothing: it runs target/parley.jar from `mvn verify`.
# Each node starts through docker/parley-start.sh, the image's own entry point. Everything is bounded in time and
# cleaned up on exit (the nodes it started, by PID, and its schema).
#   VICTIM=1|2|3 picks the node to kill (1, the oldest member: it holds the shard coordinator).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

jar=target/parley.jar
[ -f "$jar" ] || { echo "cluster-test: $jar is missing; run mvn verify first" >&2; exit 2; }
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if [ "${CI:-}" = "true" ]; then echo "cluster-test: PostgreSQL is required at 127.0.0.1:5432" >&2; exit 1; fi
  echo "cluster-test: skipped, no PostgreSQL at 127.0.0.1:5432"; exit 0
fi

victim=${VICTIM:-1}
schema="parley_ct_$$"
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
work=$(mktemp -d /tmp/parley-cluster-test.XXXXXX)
psql_() { PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -d test -v ON_ERROR_STOP=1 -q -c "$1"; }

# Three free port triples (HTTP, remoting, management) from a random base, below the kernel's ephemeral range: a port
# in it may be taken, between this check and a node's bind, by any outgoing connection (the nodes' own to PostgreSQL
# and to each other), and a node then fails to start with "Address already in use".
free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
bases=$(( (ephemeral_low - 10000 - 100) / 100 ))
for _ in $(seq 1 20); do
  base=$(( 10000 + (RANDOM % bases) * 100 ))
  ok=1
  for n in 1 2 3; do for off in 0 10 20 30; do free $((base + off + n)) || ok=0; done; done
  [ $ok = 1 ] && break
done
http_port() { echo $((base + $1)); }
akka_port() { echo $((base + 10 + $1)); }
mgmt_port() { echo $((base + 20 + $1)); }
metrics_port() { echo $((base + 30 + $1)); }

declare -A pids
cleanup() {
  for n in "${!pids[@]}"; do kill -TERM "${pids[$n]}" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    alive=0
    for n in "${!pids[@]}"; do kill -0 "${pids[$n]}" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 1
  done
  for n in "${!pids[@]}"; do kill -KILL "${pids[$n]}" 2>/dev/null || true; done
  psql_ "DROP SCHEMA IF EXISTS $schema CASCADE" || true
  if [ "${KEEP_LOGS:-}" != "1" ]; then rm -rf "$work"; else echo "logs in $work"; fi
}
trap cleanup EXIT

psql_ "CREATE SCHEMA $schema"
seeds="akka://parley@127.0.0.1:$(akka_port 1),akka://parley@127.0.0.1:$(akka_port 2)"
start_node() {
  local n=$1
  PARLEY_HOME="$root" PARLEY_CONFIG=application.conf \
  DATABASE_URL="jdbc:postgresql://127.0.0.1:5432/test?currentSchema=$schema" DATABASE_USER=postgres \
  DATABASE_CREATE_SCHEMA=true DATABASE_JOURNAL_POOL_SIZE=4 DATABASE_READ_POOL_SIZE=4 \
  SUPABASE_JWT_SECRET="$secret" HTTP_INTERFACE=127.0.0.1 PORT="$(http_port "$n")" \
  AKKA_HOST=127.0.0.1 AKKA_PORT="$(akka_port "$n")" AKKA_SEED_NODES="$seeds" \
  AKKA_MANAGEMENT_ENABLED=true AKKA_MANAGEMENT_HOST=127.0.0.1 AKKA_MANAGEMENT_PORT="$(mgmt_port "$n")" \
  PARLEY_METRICS_PORT="$(metrics_port "$n")" \
  JAVA_OPTS="-Xmx512m -XX:TieredStopAtLevel=1" \
    docker/parley-start.sh >"$work/node-$n.log" 2>&1 &
  pids[$n]=$!
}
started=$(date +%s)
for n in 1 2 3; do start_node "$n"; done

# Every node ready: an Up member (Akka Management /ready) whose database answers (/api/health).
for n in 1 2 3; do
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$(mgmt_port "$n")/ready" >/dev/null 2>&1 \
      && curl -fsS "http://127.0.0.1:$(http_port "$n")/api/health" >/dev/null 2>&1 && break
    kill -0 "${pids[$n]}" 2>/dev/null || { echo "node $n exited:"; tail -30 "$work/node-$n.log"; exit 1; }
    sleep 1
  done
  curl -fsS "http://127.0.0.1:$(mgmt_port "$n")/ready" >/dev/null || { echo "node $n never got ready"; tail -30 "$work/node-$n.log"; exit 1; }
done
echo "three nodes up in $(( $(date +%s) - started )) s; members: $(curl -fsS "http://127.0.0.1:$(mgmt_port 1)/cluster/members" | grep -o '"status":"Up"' | wc -l) Up"

nodes="http://127.0.0.1:$(http_port 1),http://127.0.0.1:$(http_port 2),http://127.0.0.1:$(http_port 3)"
java -Xmx256m -cp "$jar" io.parley.tools.ClusterCheck --nodes "$nodes" --secret "$secret" \
  --conversations 4 --members 3 --before-kill 10 --after-kill 45 --interval-ms 300 >"$work/check.log" 2>&1 &
check=$!

for _ in $(seq 1 60); do grep -q '^STEADY' "$work/check.log" && break; kill -0 $check 2>/dev/null || break; sleep 1; done
if grep -q '^STEADY' "$work/check.log"; then
  echo "steady load; kill -9 node $victim (pid ${pids[$victim]})"
  kill -KILL "${pids[$victim]}"
  wait "${pids[$victim]}" 2>/dev/null || true
  unset "pids[$victim]"
  killed=$(date +%s)
fi

# ClusterCheck bounds itself (about 2 minutes); this wait is the backstop.
status=0
for _ in $(seq 1 180); do kill -0 $check 2>/dev/null || break; sleep 1; done
if kill -0 $check 2>/dev/null; then kill -KILL $check; echo "ClusterCheck did not finish in time"; status=1; fi
wait $check || status=$?
cat "$work/check.log"
for n in "${!pids[@]}"; do
  grep -h "SBR took decision\|Leader is removing unreachable" "$work/node-$n.log" | cut -c1-160 || true
done
[ -n "${killed:-}" ] || { echo "the node was never killed"; status=1; }
echo "cluster test: $( [ $status = 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - started )) s"
exit $status
