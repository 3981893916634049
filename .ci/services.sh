#!/usr/bin/env bash
# The real services the release and monitoring tests use: a Docker engine, a python:<ver>-slim
# base image, an image registry (distribution), Prometheus (with promtool) and the Pushgateway.
# Shared by .ci/run, the template's GitHub CI and a developer:
#
#   .ci/services.sh start   # install what is missing, start dockerd if none answers
#   source build/services/env   # DOCKER_HOST and friends for the tests
#   .ci/services.sh stop    # stop only what `start` started
#
# The registry, Prometheus and the Pushgateway are only installed here: each test starts its own
# on a free loopback port, with the configuration it checks (the image test pushes the base
# image to its registry and builds FROM it by digest, as a project pins Docker Hub's). Where
# Docker Hub is unreachable, the base image is made locally (debootstrap + this machine's
# CPython), once, and reused after.
set -euo pipefail
cd "$(dirname "$0")/.."

STATE="$PWD/build/services"
ENV_FILE="$STATE/env"
PYTHON_VERSIONS="${BASE_PYTHON_VERSIONS:-3.12}" # the default project's python_version
# Shared libraries CPython's extension modules link to, as in the official slim image.
BASE_LIBRARIES=(libssl3 libsqlite3-0 libffi8 libbz2-1.0 liblzma5 libreadline8 ca-certificates
  libuuid1 libgdbm6 libncursesw6)

log() { echo "services: $*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_missing() {
  local missing=()
  # A docker client alone (some images ship one) cannot run containers: the engine is dockerd.
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v prometheus-pushgateway >/dev/null || missing+=(prometheus-pushgateway)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  # Under systemd the package starts a registry on every interface (:5000); tests start their own.
  if [[ " ${missing[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null; then
    as_root systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
}

start_dockerd() {
  local dir="$STATE/docker"
  # An engine this script started earlier (its data keeps the base image): reuse it.
  if [ -S "$dir/sock" ] && DOCKER_HOST="unix://$dir/sock" docker info >/dev/null 2>&1; then
    log "dockerd from an earlier start answers: using it"
    echo "export DOCKER_HOST=unix://$dir/sock DOCKER_BUILDKIT=0" >>"$ENV_FILE"
    export DOCKER_HOST="unix://$dir/sock"
    return
  fi
  if docker info >/dev/null 2>&1; then
    log "a Docker engine answers at ${DOCKER_HOST:-the default socket}: using it"
    echo "export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}" >>"$ENV_FILE"
    return
  fi
  mkdir -p "$dir"
  rm -f "$dir/pid" # left by an engine that did not stop cleanly
  log "starting dockerd in $dir"
  # Without systemd: its own data, exec root and socket, so it touches no system engine.
  setsid dockerd --data-root "$dir/root" --exec-root "$dir/exec" --pidfile "$dir/pid" \
    -H "unix://$dir/sock" >"$dir/log" 2>&1 </dev/null &
  export DOCKER_HOST="unix://$dir/sock"
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 "$dir/log" >&2; log "dockerd did not start"; exit 1; }
  echo "started" >"$dir/started"
  # Debian's docker.io has no buildx; BentoML's Dockerfile builds with the legacy builder.
  echo "export DOCKER_HOST=$DOCKER_HOST DOCKER_BUILDKIT=0" >>"$ENV_FILE"
}

# python:<ver>-slim: pulled where Docker Hub answers, else made from this machine's CPython.
ensure_base_image() {
  local version="$1" image="python:$1-slim"
  docker image inspect "$image" >/dev/null 2>&1 && { log "$image present"; return; }
  docker pull -q "$image" >/dev/null 2>&1 && { log "$image pulled"; return; }
  log "making $image locally (Docker Hub unreachable)"
  command -v debootstrap >/dev/null || as_root apt-get install -y -q debootstrap
  local prefix root="$STATE/base-$version"
  # python3.X on PATH; a pyenv shim runs it only for a version it is told (PYENV_VERSION).
  prefix="$(PYENV_VERSION="$version" "python$version" -c 'import sys; print(sys.base_prefix)')"
  rm -rf "$root"
  as_root debootstrap --variant=minbase bookworm "$root" "$(debian_mirror)" >"$STATE/debootstrap.log" 2>&1 \
    || { tail -5 "$STATE/debootstrap.log" >&2; log "debootstrap failed"; exit 1; }
  as_root chroot "$root" apt-get install -y -q --no-install-recommends "${BASE_LIBRARIES[@]}" \
    >>"$STATE/debootstrap.log"
  as_root chroot "$root" apt-get clean
  as_root cp -a "$prefix/." "$root/usr/local/"
  # What a slim image leaves out: the test suite, the static libpython, packages this
  # machine installed (pip stays: BentoML's Dockerfile installs uv with it), apt's lists.
  local stdlib="$root/usr/local/lib/python$version"
  as_root rm -rf "$stdlib/test" "$stdlib/idlelib" "$stdlib/tkinter" "$stdlib"/config-*/*.a \
    "$root/var/lib/apt/lists"/* "$root/var/cache/apt"/*.bin
  as_root find "$stdlib/site-packages" -mindepth 1 -maxdepth 1 ! -name 'pip' ! -name 'pip-*' \
    -exec rm -rf {} +
  # Like the official slim image: no debug symbols, no -O bytecode, no docs or translations.
  as_root find "$root/usr/local" -type f \( -name '*.so*' -o -name "python$version" \) \
    -exec strip --strip-unneeded {} + 2>/dev/null || true
  as_root find "$stdlib" -name '*.opt-[12].pyc' -delete
  as_root find "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/info" \
    "$root/usr/share/locale" -mindepth 1 ! -name locale.alias -delete 2>/dev/null || true
  as_root chroot "$root" ldconfig
  # The scripts' #! lines name the machine's prefix; inside the image Python is /usr/local.
  as_root grep -lIr "^#!$prefix" "$root/usr/local/bin" | while read -r script; do
    as_root sed -i "1s|^#!.*|#!/usr/local/bin/python$version|" "$script"
  done
  as_root ln -sf "python$version" "$root/usr/local/bin/python"
  as_root ln -sf "pip$version" "$root/usr/local/bin/pip"
  as_root cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  as_root tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' -c 'CMD ["python3"]' - "$image" >/dev/null
  as_root rm -rf "$root"
  log "$image made: $(docker image inspect -f '{{.Size}}' "$image") bytes"
}

# The mirror apt uses on this machine (the only Debian mirror it may reach).
debian_mirror() {
  local uri
  uri="$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?$' /etc/apt/sources.list \
    /etc/apt/sources.list.d/ 2>/dev/null | head -1 | awk '{print $2}')"
  echo "${uri:-http://deb.debian.org/debian}"
}

start() {
  mkdir -p "$STATE"
  : >"$ENV_FILE"
  install_missing
  start_dockerd
  for version in $PYTHON_VERSIONS; do ensure_base_image "$version"; done
  log "ready: source $ENV_FILE"
}

stop() {
  local dir="$STATE/docker"
  if [ -f "$dir/started" ] && [ -f "$dir/pid" ]; then
    local pid
    pid="$(cat "$dir/pid")"
    log "stopping dockerd ($pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    rm -f "$dir/started"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
