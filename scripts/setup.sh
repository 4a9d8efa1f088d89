#!/usr/bin/env bash
# Idempotent set-up for a Debian 12 host, run as root: system packages, npm packages, build.
# Fast when nothing changed: apt is skipped when every package is installed, npm ci when
# node_modules matches package-lock.json, and make rebuilds only what is out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

# libseccomp-dev: the symbolizer's parser process filters its own system calls; apache2-utils
# (htpasswd) and openssl: the --web-config tests make bcrypt hashes and certificates; podman,
# runc and busybox-static: the container tests start real containers from a local busybox root;
# libclang-rt-16-dev: libFuzzer and AddressSanitizer's runtimes for the parser's fuzz harness.
# golang-go: `go tool pprof` reads --pprof files in the tests; openjdk-17-jdk-headless: the Java JIT-frame test.
APT_PKGS=(clang-16 llvm-16 libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev pkg-config make g++ python3
          sysstat tmux linux-perf procps iproute2 util-linux prometheus
          libseccomp-dev apache2-utils openssl podman runc busybox-static libclang-rt-16-dev
          golang-go openjdk-17-jdk-headless)

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "perfscope setup: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "perfscope setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # prometheus (for promtool and the --listen end-to-end test, which runs its own server on a
  # free port): its package enables and starts a system service on :9090. perfscope needs no
  # server running: stop and disable the packaged one if the install started it.
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    if [[ -d /run/systemd/system ]]; then
      systemctl disable --now prometheus >/dev/null 2>&1 || true
    elif [[ -x /etc/init.d/prometheus ]]; then
      /etc/init.d/prometheus stop >/dev/null 2>&1 || true
      update-rc.d prometheus disable >/dev/null 2>&1 || true
    fi
  fi
fi

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "perfscope setup: npm ci" >&2
  npm ci --no-audit --no-fund --no-update-notifier --loglevel=error
fi

make -s build
