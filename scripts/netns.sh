#!/usr/bin/env bash
# Runs a command inside a fresh network namespace when we are root and may create one, so that the WebRTC traffic
# of browser tests never leaves the machine. Inside: loopback up, and a veth pair with addresses from the
# benchmarking range and a default route over it, because Firefox (and media servers) ignore loopback candidates
# and Firefox gathers nothing without a default route. Elsewhere the command runs as it is.
set -euo pipefail

if [ "${IN_TEST_NETNS:-}" = 1 ]; then
  exec "$@"
fi

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v ip >/dev/null || ! unshare -n true 2>/dev/null; then
  # CI sets REQUIRE_NETNS=1: there, the tests that need the namespace (the network fault) must run, not be skipped.
  if [ "${REQUIRE_NETNS:-}" = 1 ]; then
    echo "netns.sh: REQUIRE_NETNS=1, but no network namespace can be made here (needs root, unshare and ip)" >&2
    exit 1
  fi
  echo "netns.sh: cannot create a network namespace here; running without one" >&2
  exec "$@"
fi

exec unshare -n env IN_TEST_NETNS=1 bash -c '
  set -e
  ip link set lo up
  ip link add v0 type veth peer name v1
  # No IPv6 link-local addresses: the kernel adds them about 1.6 s after the links come up, as the browsers load the
  # first test file, and Chromium takes that for a network change and fails the requests under way ("Failed to fetch
  # dynamically imported module").
  ip link set v0 addrgenmode none
  ip link set v1 addrgenmode none
  ip addr add 198.18.0.1/24 dev v0
  ip addr add 198.18.0.2/24 dev v1
  ip link set v0 up
  ip link set v1 up
  ip route add default via 198.18.0.2 dev v0
  exec "$@"
' netns "$@"
