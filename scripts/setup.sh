#!/usr/bin/env bash
# One set-up for a fresh Debian machine (as root), used by the README and by
# .ci/run alike: every system package the lab, the tests, the fuzzers and the
# image build need, then the npm dependencies and the build. Add a package here,
# never by hand, or a fresh machine will fail where yours passed.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  iproute2 nftables iptables tcpdump tshark etcd-server ethtool \
  netcat-openbsd iputils-ping procps kmod ca-certificates openssl libcap2-bin curl chromium \
  build-essential python3 cmake clang libfuzzer-14-dev libclang-rt-14-dev \
  mmdebstrap podman runc g++-aarch64-linux-gnu qemu-user \
  util-linux mount \
  >/dev/null

npm ci
npm run build
