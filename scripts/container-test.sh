#!/usr/bin/env bash
# Builds the container image from the Dockerfile and checks it: `config check` passes inside it, and
# the server it runs answers /readyz as a non-root user. Skips, saying so, when Docker is missing or
# its daemon does not answer (`docker info` fails), so it can run anywhere.
#
#   bash scripts/container-test.sh
#
# Environment knobs: CONTAINER_TAG (default concordat:test), CONTAINER_KEEP=1 keeps the image.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TAG="${CONTAINER_TAG:-concordat:test}"
log() { printf 'container-test: %s\n' "$*" >&2; }

if ! command -v docker >/dev/null 2>&1; then
  log "SKIPPED: docker is not installed"
  exit 0
fi
if ! docker info >/dev/null 2>&1; then
  log "SKIPPED: the Docker daemon does not answer (docker info failed)"
  exit 0
fi

WORK=$(mktemp -d -t concordat-container.XXXXXX)
NAME="concordat-test-$$"
cleanup() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  docker volume rm -f "$NAME-data" >/dev/null 2>&1 || true
  [[ "${CONTAINER_KEEP:-}" == 1 ]] || docker image rm -f "$TAG" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log "building $TAG (a release build inside the image: slow on a small machine)"
start=$SECONDS
docker build -t "$TAG" .
log "built in $((SECONDS - start)) s"

# The image runs as uid 10001, never root.
user=$(docker image inspect --format '{{.Config.User}}' "$TAG")
[[ "$user" == "10001:10001" ]] || { log "FAILED: the image runs as '$user', not 10001:10001"; exit 1; }

# The secret key, owned by the image's user and readable by it only, mounted read-only.
head -c 32 /dev/urandom >"$WORK/secret.key"
chmod 600 "$WORK/secret.key"
docker run --rm -v "$WORK:/w" --user 0 --entrypoint chown "$TAG" 10001:10001 /w/secret.key

docker run --rm -v "$WORK/secret.key:/run/secrets/concordat.key:ro" "$TAG" config check >"$WORK/check.txt" ||
  { cat "$WORK/check.txt"; log "FAILED: config check refused the image's configuration"; exit 1; }
grep -q 'The configuration is valid' "$WORK/check.txt"

docker volume create "$NAME-data" >/dev/null
docker run --rm -v "$NAME-data:/var/lib/concordat" "$TAG" migrate --create
docker run -d --name "$NAME" -p 127.0.0.1::8080 -v "$NAME-data:/var/lib/concordat" \
  -v "$WORK/secret.key:/run/secrets/concordat.key:ro" "$TAG" >/dev/null
port=$(docker port "$NAME" 8080/tcp | head -1 | sed 's/.*://')
for _ in $(seq 1 60); do
  if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz"; then
    log "PASSED: the image serves /readyz on port $port as uid 10001"
    exit 0
  fi
  sleep 1
done
docker logs "$NAME" >&2 || true
log "FAILED: /readyz did not answer within 60 s"
exit 1
