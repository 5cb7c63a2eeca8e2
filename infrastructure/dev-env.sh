#!/usr/bin/env bash
# Local streaming dev environment (the seed's init_dev_env.sh), as `make dev-env`.
#
#   infrastructure/dev-env.sh up      # broker + Chroma server + the `logs` topic
#   infrastructure/dev-env.sh status
#   infrastructure/dev-env.sh down
#
# With a working `docker compose` it runs infrastructure/docker-compose.yml. Without one
# (no Docker, no JVM) it runs the same roles from the venv: noida-db as the Kafka-protocol
# broker on 127.0.0.1:${KAFKA_PORT:-29092} and `chroma run` on 127.0.0.1:${CHROMA_PORT:-8000},
# data and PIDs under ${DEV_DIR:-.dev-env}. Everything binds 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
DEV_DIR=${DEV_DIR:-.dev-env}
KAFKA_PORT=${KAFKA_PORT:-29092}
CHROMA_PORT=${CHROMA_PORT:-8000}
TOPIC=${TOPIC:-logs}
PARTITIONS=${PARTITIONS:-6}

have_compose() { docker compose version >/dev/null 2>&1; }

broker_bin() { "$BIN/python" -c 'import noida_db, pathlib; print(pathlib.Path(noida_db.__file__).parent / "noida-db")'; }

up_local() {
  mkdir -p "$DEV_DIR"
  if ! [ -f "$DEV_DIR/kafka.pid" ] || ! kill -0 "$(cat "$DEV_DIR/kafka.pid")" 2>/dev/null; then
    "$(broker_bin)" start --only kafka --host 127.0.0.1 --kafka-port "$KAFKA_PORT" \
      --data-dir "$DEV_DIR/kafka" >"$DEV_DIR/kafka.log" 2>&1 &
    echo $! >"$DEV_DIR/kafka.pid"
  fi
  if ! [ -f "$DEV_DIR/chroma.pid" ] || ! kill -0 "$(cat "$DEV_DIR/chroma.pid")" 2>/dev/null; then
    ANONYMIZED_TELEMETRY=False "$BIN/chroma" run --path "$DEV_DIR/chroma" --host 127.0.0.1 \
      --port "$CHROMA_PORT" >"$DEV_DIR/chroma.log" 2>&1 &
    echo $! >"$DEV_DIR/chroma.pid"
  fi
  "$BIN/python" - "$KAFKA_PORT" "$TOPIC" "$PARTITIONS" <<'PY'
import sys, time
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
port, topic, parts = sys.argv[1], sys.argv[2], int(sys.argv[3])
for _ in range(60):
    try:
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=3000)
        break
    except Exception:
        time.sleep(0.5)
else:
    sys.exit(f"broker on 127.0.0.1:{port} did not come up")
try:
    admin.create_topics([NewTopic(topic, parts, 1)])
except TopicAlreadyExistsError:
    pass
print(f"kafka  127.0.0.1:{port}  topic {topic} ({parts} partitions)")
PY
  echo "chroma http://127.0.0.1:$CHROMA_PORT  (ready in ~10 s)"
  echo "worker: $BIN/logpilot worker --workspace ws --bootstrap-servers 127.0.0.1:$KAFKA_PORT --topic $TOPIC --group dev"
}

down_local() {
  for name in chroma kafka; do
    if [ -f "$DEV_DIR/$name.pid" ]; then
      kill "$(cat "$DEV_DIR/$name.pid")" 2>/dev/null || true
      rm -f "$DEV_DIR/$name.pid"
    fi
  done
}

status_local() {
  for name in kafka chroma; do
    if [ -f "$DEV_DIR/$name.pid" ] && kill -0 "$(cat "$DEV_DIR/$name.pid")" 2>/dev/null; then
      echo "$name: running (pid $(cat "$DEV_DIR/$name.pid"))"
    else
      echo "$name: stopped"
    fi
  done
}

case "${1:-up}" in
  up) if have_compose; then docker compose -f infrastructure/docker-compose.yml up -d --build; else up_local; fi ;;
  down) if have_compose; then docker compose -f infrastructure/docker-compose.yml down; else down_local; fi ;;
  status) if have_compose; then docker compose -f infrastructure/docker-compose.yml ps; else status_local; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
