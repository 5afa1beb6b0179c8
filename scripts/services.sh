#!/usr/bin/env bash
# Local real services for tests and CI: a single-node Kafka broker (KRaft) and a Redis server,
# both bound to 127.0.0.1 on free ports picked at start-up.
#
#   scripts/services.sh up [kafka] [redis]
#                               install what is missing, start what is not running (default: both),
#                               wait until ready
#   scripts/services.sh down    stop both (SIGTERM, then SIGKILL) and delete their data
#   scripts/services.sh status  report each service up/down (exit 0 only when both are up)
#   scripts/services.sh env     print the env file (KAFKA_BROKERS=..., REDIS_URL=...)
#
# State (pid files, logs, data, env file) lives in ${FS_SERVICES_DIR:-<repo>/.featurestream/services}.
# Kafka jars are fetched once by Maven into <repo>/.cache/kafka/libs (scripts/kafka/pom.xml).
#
# Tunables (environment):
#   FS_SERVICES_DIR            state directory (default <repo>/.featurestream/services)
#   FS_KAFKA_LIBS_DIR          where the Kafka jars go (default <repo>/.cache/kafka/libs)
#   FS_KAFKA_HEAP_OPTS         JVM heap flags (default "-Xms256m -Xmx768m")
#   FS_KAFKA_START_TIMEOUT     seconds to wait for the broker (default 90)
#   FS_SERVICES_KEEP_LOGS=1    `down` keeps kafka.log / redis.log
#
# Progress goes to stderr; `up` and `env` print the env lines on stdout.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${FS_SERVICES_DIR:-$REPO_DIR/.featurestream/services}"
# absolute: Kafka's log.dirs and redis --dir need it
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
KAFKA_POM="$REPO_DIR/scripts/kafka/pom.xml"
KAFKA_LOG4J="$REPO_DIR/scripts/kafka/log4j2.properties"
KAFKA_LIBS="${FS_KAFKA_LIBS_DIR:-$REPO_DIR/.cache/kafka/libs}"
KAFKA_HEAP_OPTS="${FS_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
KAFKA_START_TIMEOUT="${FS_KAFKA_START_TIMEOUT:-90}"
REDIS_START_TIMEOUT=15

ENV_FILE="$STATE_DIR/env"
KAFKA_DIR="$STATE_DIR/kafka"
KAFKA_PID_FILE="$STATE_DIR/kafka.pid"
KAFKA_PORT_FILE="$STATE_DIR/kafka.port"
KAFKA_LOG="$STATE_DIR/kafka.log"
REDIS_DIR="$STATE_DIR/redis"
REDIS_PID_FILE="$STATE_DIR/redis.pid"
REDIS_PORT_FILE="$STATE_DIR/redis.port"
REDIS_LOG="$STATE_DIR/redis.log"

# ---------------------------------------------------------------------------------------------
# helpers

log() { printf 'services: %s\n' "$*" >&2; }
die() {
  printf 'services: ERROR: %s\n' "$*" >&2
  exit 1
}

now() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    printf '%s' "${EPOCHREALTIME/,/.}"
  else
    date +%s.%N
  fi
}
# elapsed START -> "12.3s"
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# true when PID runs and is not a zombie (a daemon reparented to a PID 1 that reaps slowly stays
# visible to kill -0 after it exited)
pid_alive() {
  local pid="$1" state
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -r "/proc/$pid/stat" ]] || return 0
  state="$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# true when PID is alive and its command line contains PATTERN (guards against pid reuse)
pid_matches() {
  local pid="$1" pattern="$2"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pattern"
}

read_file() {
  if [[ -f "$1" ]]; then cat "$1"; fi
}

# true when something accepts TCP connections on 127.0.0.1:PORT
port_open() {
  local port="$1"
  [[ "$port" =~ ^[0-9]+$ ]] || return 1
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# pick_ports N -> N distinct free loopback ports, space separated
pick_ports() {
  local n="$1"
  if command -v node >/dev/null 2>&1; then
    # All N sockets are held open together so the ports are distinct, then released.
    node -e '
      const net = require("node:net");
      const n = Number(process.argv[1]);
      const servers = [];
      for (let i = 0; i < n; i++) {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
          servers.push(s);
          if (servers.length === n) {
            console.log(servers.map((x) => x.address().port).join(" "));
            for (const x of servers) x.close();
          }
        });
      }' "$n"
    return
  fi
  # Fallback without node: random ports below the ephemeral range that nobody answers on.
  local ports=() p
  while ((${#ports[@]} < n)); do
    p=$((20000 + RANDOM % 12000))
    if ! port_open "$p" && [[ " ${ports[*]} " != *" $p "* ]]; then ports+=("$p"); fi
  done
  echo "${ports[*]}"
}

as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run '$*' (not root and no sudo). Install it yourself and re-run."
  fi
}

# ---------------------------------------------------------------------------------------------
# install / prerequisites

ensure_redis() {
  command -v redis-server >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 ||
    die "redis-server is not installed and apt-get is missing: install Redis (>= 6) so that 'redis-server' is on PATH."
  local t0 had_system_redis=0
  t0="$(now)"
  pgrep -x redis-server >/dev/null 2>&1 && had_system_redis=1
  log "installing redis-server with apt-get ..."
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get install -y -q redis-server >"$STATE_DIR/apt.log" 2>&1; then
    log "apt-get install failed; running apt-get update and retrying ..."
    as_root apt-get update -q >>"$STATE_DIR/apt.log" 2>&1 || true
    as_root apt-get install -y -q redis-server >>"$STATE_DIR/apt.log" 2>&1 || {
      tail -n 20 "$STATE_DIR/apt.log" >&2
      die "apt-get install redis-server failed (log above, full log in $STATE_DIR/apt.log)."
    }
  fi
  # The Debian package may start a system-wide redis on 6379 (when no policy-rc.d forbids it):
  # we only want our own instance, so stop one that the install just started.
  if ((had_system_redis == 0)) && pgrep -x redis-server >/dev/null 2>&1; then
    as_root service redis-server stop >/dev/null 2>&1 || true
  fi
  command -v redis-server >/dev/null 2>&1 || die "redis-server still not on PATH after apt-get install."
  log "installed redis-server in $(elapsed "$t0")"
}

ensure_java() {
  command -v java >/dev/null 2>&1 ||
    die "java is not installed. Kafka 4.x needs Java 17+: apt-get install -y openjdk-17-jre-headless (or set KAFKA_BROKERS to an existing broker)."
  local v
  v="$(java -version 2>&1 | awk -F'"' '/version/ { print $2; exit }')"
  local major="${v%%.*}"
  [[ "$major" == 1 ]] && major="$(echo "$v" | cut -d. -f2)"
  if [[ "$major" =~ ^[0-9]+$ ]] && ((major < 17)); then
    die "java $v found but Kafka 4.x needs Java 17+: apt-get install -y openjdk-17-jre-headless (and select it with update-alternatives)."
  fi
}

pom_stamp() { sha256sum "$KAFKA_POM" | cut -d' ' -f1; }

ensure_kafka_libs() {
  local stamp_file="$KAFKA_LIBS/.pom.sha256"
  if compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null &&
    [[ "$(read_file "$stamp_file")" == "$(pom_stamp)" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 ||
    die "mvn is not installed; it is needed once to download the Kafka jars into $KAFKA_LIBS: apt-get install -y maven (Java 17 + Maven 3.8+)."
  local t0
  t0="$(now)"
  log "downloading Kafka jars with Maven into ${KAFKA_LIBS#"$REPO_DIR"/} (first run only) ..."
  # Stale jars of another version would end up on the same classpath: start from empty.
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" \
    -Dkafka.libs.dir="$KAFKA_LIBS" dependency:copy-dependencies >"$STATE_DIR/mvn.log" 2>&1; then
    tail -n 30 "$STATE_DIR/mvn.log" >&2
    rm -rf "$KAFKA_LIBS"
    die "mvn dependency:copy-dependencies failed (log above, full log in $STATE_DIR/mvn.log). Maven Central must be reachable."
  fi
  compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null || die "Maven ran but no kafka_2.13 jar landed in $KAFKA_LIBS."
  pom_stamp >"$stamp_file"
  log "downloaded $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $(elapsed "$t0")"
}

# ---------------------------------------------------------------------------------------------
# redis

redis_running() { pid_matches "$(read_file "$REDIS_PID_FILE")" redis-server; }

start_redis() {
  local port="$1" t0 i
  t0="$(now)"
  rm -rf "$REDIS_DIR"
  mkdir -p "$REDIS_DIR"
  rm -f "$REDIS_PID_FILE"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --pidfile "$REDIS_PID_FILE" --logfile "$REDIS_LOG" --dir "$REDIS_DIR" \
    >/dev/null 9>&- || {
    tail -n 30 "$REDIS_LOG" >&2 2>/dev/null || true
    die "redis-server failed to start on 127.0.0.1:$port (log: $REDIS_LOG)."
  }
  for ((i = 0; i < REDIS_START_TIMEOUT * 10; i++)); do
    if redis_running && port_open "$port"; then
      echo "$port" >"$REDIS_PORT_FILE"
      log "redis up on 127.0.0.1:$port (pid $(read_file "$REDIS_PID_FILE")) in $(elapsed "$t0")"
      return 0
    fi
    sleep 0.1
  done
  tail -n 30 "$REDIS_LOG" >&2 2>/dev/null || true
  die "redis-server did not answer on 127.0.0.1:$port within ${REDIS_START_TIMEOUT}s (log: $REDIS_LOG)."
}

stop_redis() {
  local pid
  pid="$(read_file "$REDIS_PID_FILE")"
  if pid_matches "$pid" redis-server; then
    stop_pid "$pid" redis-server 10
  fi
  rm -f "$REDIS_PID_FILE" "$REDIS_PORT_FILE"
}

# ---------------------------------------------------------------------------------------------
# kafka

kafka_running() { pid_matches "$(read_file "$KAFKA_PID_FILE")" kafka.Kafka; }

write_kafka_properties() {
  local port="$1" cport="$2"
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Generated by scripts/services.sh: single-node KRaft broker for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
}

start_kafka() {
  local port="$1" cport="$2" t0 cluster_id pid deadline
  t0="$(now)"
  rm -rf "$KAFKA_DIR"
  mkdir -p "$KAFKA_DIR/data"
  rm -f "$KAFKA_PID_FILE"
  write_kafka_properties "$port" "$cport"

  local -a heap
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  local -a jvm=(java "${heap[@]}" -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$KAFKA_LOG4J" -cp "$KAFKA_LIBS/*")

  # Kafka cluster ids are 16 random bytes, base64url without padding (what `random-uuid` prints).
  # Like Kafka's Uuid.randomUuid, reject ids starting with '-': the CLI would read them as options.
  cluster_id="-"
  while [[ "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  # Short-lived JVM: C1 only and a small heap start it faster.
  if ! java -Xmx256m -XX:TieredStopAtLevel=1 "-Dlog4j2.configurationFile=$KAFKA_LOG4J" -cp "$KAFKA_LIBS/*" \
    kafka.tools.StorageTool format -t "$cluster_id" \
    -c "$KAFKA_DIR/server.properties" --ignore-formatted >"$KAFKA_LOG" 2>&1; then
    tail -n 30 "$KAFKA_LOG" >&2
    die "kafka storage format failed (log above: $KAFKA_LOG)."
  fi

  # setsid: the broker survives the shell (and a test runner's process group) that started it;
  # `down` stops it by pid. The inner bash writes its own pid and then execs java, so the pid
  # file names the JVM even when setsid has to fork.
  local -a detach=(nohup)
  command -v setsid >/dev/null 2>&1 && detach=(setsid nohup)
  # shellcheck disable=SC2016 # expanded by the inner bash
  "${detach[@]}" bash -c 'echo $$ >"$0.tmp" && mv -f "$0.tmp" "$0" && exec "$@"' "$KAFKA_PID_FILE" \
    "${jvm[@]}" kafka.Kafka "$KAFKA_DIR/server.properties" >>"$KAFKA_LOG" 2>&1 </dev/null 9>&- &
  deadline=$(($(date +%s) + 10))
  until [[ -s "$KAFKA_PID_FILE" ]]; do
    (($(date +%s) < deadline)) || die "kafka launcher did not write $KAFKA_PID_FILE."
    sleep 0.05
  done
  pid="$(read_file "$KAFKA_PID_FILE")"

  deadline=$(($(date +%s) + KAFKA_START_TIMEOUT))
  while :; do
    if ! pid_alive "$pid"; then
      log "kafka exited during start-up; last 30 lines of $KAFKA_LOG:"
      tail -n 30 "$KAFKA_LOG" >&2
      rm -f "$KAFKA_PID_FILE"
      die "kafka broker died before it was ready (see log above)."
    fi
    if grep -q 'Kafka Server started' "$KAFKA_LOG" && port_open "$port"; then
      break
    fi
    if (($(date +%s) >= deadline)); then
      log "kafka not ready after ${KAFKA_START_TIMEOUT}s; last 30 lines of $KAFKA_LOG:"
      tail -n 30 "$KAFKA_LOG" >&2
      stop_kafka
      die "kafka broker did not become ready within ${KAFKA_START_TIMEOUT}s (raise FS_KAFKA_START_TIMEOUT if the machine is just slow)."
    fi
    sleep 0.2
  done
  echo "$port" >"$KAFKA_PORT_FILE"
  log "kafka $(kafka_version) up on 127.0.0.1:$port (controller :$cport, pid $pid) in $(elapsed "$t0")"
}

kafka_version() {
  local jar
  jar="$(compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" | head -n 1 || true)"
  jar="${jar##*/kafka_2.13-}"
  printf '%s' "${jar%.jar}"
}

stop_kafka() {
  local pid
  pid="$(read_file "$KAFKA_PID_FILE")"
  if pid_matches "$pid" kafka.Kafka; then
    stop_pid "$pid" kafka 30
  fi
  rm -f "$KAFKA_PID_FILE" "$KAFKA_PORT_FILE"
}

# stop_pid PID NAME TIMEOUT_SECONDS: SIGTERM, wait, then SIGKILL
stop_pid() {
  local pid="$1" name="$2" timeout="$3" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout * 10; i++)); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then
    log "$name (pid $pid) still running after ${timeout}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    if pid_alive "$pid"; then
      log "WARNING: $name (pid $pid) did not exit after SIGKILL"
      return 0
    fi
  fi
  # The daemons were reparented to PID 1; give it a moment to reap them so that `down`
  # followed by pgrep finds nothing (a zombie holds no port, memory or files, so don't insist).
  for ((i = 0; i < 30; i++)); do
    [[ -e "/proc/$pid" ]] || return 0
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------------
# env file

write_env() {
  local kport="" rport=""
  if kafka_running; then kport="$(read_file "$KAFKA_PORT_FILE")"; fi
  if redis_running; then rport="$(read_file "$REDIS_PORT_FILE")"; fi
  {
    if [[ -n "$kport" ]]; then echo "KAFKA_BROKERS=127.0.0.1:$kport"; fi
    if [[ -n "$rport" ]]; then echo "REDIS_URL=redis://127.0.0.1:$rport/0"; fi
  } >"$ENV_FILE.tmp"
  mv -f "$ENV_FILE.tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------------------------------------
# commands

# Serialises up/down on one state dir. fd 9 holds the lock: long-lived children (redis, kafka)
# are started with 9>&- so they do not keep it after this script exits.
with_lock() {
  mkdir -p "$STATE_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE_DIR/.lock"
    flock -w 300 9 || die "another scripts/services.sh is holding $STATE_DIR/.lock for more than 300s."
  fi
}

# cmd_up [kafka] [redis]: start the named services (default: both)
cmd_up() {
  local t_all t0 ports kport cport rport want_kafka=0 want_redis=0 svc
  t_all="$(now)"
  (($# > 0)) || set -- kafka redis
  for svc in "$@"; do
    case "$svc" in
      kafka) want_kafka=1 ;;
      redis) want_redis=1 ;;
      *) die "unknown service '$svc' (expected kafka and/or redis)" ;;
    esac
  done
  with_lock

  local need_redis=0 need_kafka=0
  if ((want_redis)) && ! { redis_running && port_open "$(read_file "$REDIS_PORT_FILE")"; }; then
    need_redis=1
  fi
  if ((want_kafka)) && ! { kafka_running && port_open "$(read_file "$KAFKA_PORT_FILE")"; }; then
    need_kafka=1
  fi
  if ((need_redis == 0 && need_kafka == 0)); then
    log "already up (state: $STATE_DIR)"
    write_env
    cat "$ENV_FILE"
    return 0
  fi

  t0="$(now)"
  if ((need_redis)); then ensure_redis; fi
  if ((need_kafka)); then
    ensure_java
    ensure_kafka_libs
  fi
  log "prerequisites ready in $(elapsed "$t0")"

  ports="$(pick_ports 3)"
  read -r kport cport rport <<<"$ports"
  [[ -n "$rport" ]] || die "could not pick free loopback ports."

  if ((need_redis)); then
    stop_redis # stale pid file / half-dead instance
    start_redis "$rport"
  fi
  if ((need_kafka)); then
    stop_kafka
    start_kafka "$kport" "$cport"
  fi
  write_env
  log "up in $(elapsed "$t_all"); env file: $ENV_FILE"
  cat "$ENV_FILE"
}

cmd_down() {
  local t0
  t0="$(now)"
  if [[ ! -d "$STATE_DIR" ]]; then
    log "nothing to stop ($STATE_DIR does not exist)"
    return 0
  fi
  with_lock
  # In parallel: each waits for its process to exit and be reaped.
  local kafka_stopper redis_stopper
  stop_kafka &
  kafka_stopper=$!
  stop_redis &
  redis_stopper=$!
  wait "$kafka_stopper" "$redis_stopper"
  # Remove only what this script creates: FS_SERVICES_DIR may be a directory the caller owns.
  rm -rf "$KAFKA_DIR" "$REDIS_DIR"
  rm -f "$ENV_FILE" "$ENV_FILE.tmp" "$STATE_DIR/apt.log" "$STATE_DIR/mvn.log"
  if [[ "${FS_SERVICES_KEEP_LOGS:-0}" != 1 ]]; then
    rm -f "$KAFKA_LOG" "$REDIS_LOG"
  fi
  rm -f "$STATE_DIR/.lock"
  rmdir "$STATE_DIR" 2>/dev/null || true
  log "down in $(elapsed "$t0")"
}

cmd_status() {
  local rc=0 pid port
  pid="$(read_file "$KAFKA_PID_FILE")" port="$(read_file "$KAFKA_PORT_FILE")"
  if kafka_running && port_open "$port"; then
    echo "kafka: up (127.0.0.1:$port, pid $pid)"
  else
    echo "kafka: down"
    rc=3
  fi
  pid="$(read_file "$REDIS_PID_FILE")" port="$(read_file "$REDIS_PORT_FILE")"
  if redis_running && port_open "$port"; then
    echo "redis: up (127.0.0.1:$port, pid $pid)"
  else
    echo "redis: down"
    rc=3
  fi
  return "$rc"
}

cmd_env() {
  [[ -f "$ENV_FILE" ]] || die "no env file at $ENV_FILE: run 'scripts/services.sh up' first."
  cat "$ENV_FILE"
}

usage() {
  echo "usage: scripts/services.sh up [kafka] [redis] | down | status | env" >&2
  exit 2
}

case "${1:-}" in
  up)
    shift
    cmd_up "$@"
    ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) usage ;;
esac
