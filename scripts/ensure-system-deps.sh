#!/usr/bin/env bash
# Installs the Debian packages the test suite and the bench run for real (PostgreSQL, Patroni, etcd, Redis
# with Sentinel, HAProxy, promtool, iproute2, iptables, pgbench, wrk, GNU time (peak RSS in the reconcile bench), podman, buildah, runc and
# mmdebstrap for the container image, Chromium, which opens the drill reports, pgBackRest, the lab's
# continuous backup, and Ceph's monitor, OSD and RADOS Gateway, the lab's object store that keeps
# versions) when any is missing.
# Idempotent: a machine that
# already has them pays one `command -v` per binary. Called by `npm test` and `npm run bench`; safe to run
# by hand.
set -euo pipefail

declare -A wanted=(
  [/usr/lib/postgresql/15/bin/postgres]=postgresql-15
  [/usr/lib/postgresql/15/bin/pg_ctl]=postgresql-15
  [/usr/bin/patroni]=patroni
  [/usr/bin/etcd]=etcd-server
  [/usr/bin/etcdctl]=etcd-client
  [/usr/bin/redis-server]=redis-server
  [/usr/bin/redis-sentinel]=redis-sentinel
  [/usr/sbin/haproxy]=haproxy
  [/usr/bin/promtool]=prometheus
  [/usr/sbin/ip]=iproute2
  [/usr/sbin/iptables]=iptables
  [/usr/bin/nsenter]=util-linux
  [/usr/bin/pgbench]=postgresql-contrib
  [/usr/bin/wrk]=wrk
  [/usr/bin/time]=time
  [/usr/bin/podman]=podman
  [/usr/bin/buildah]=buildah
  [/usr/sbin/runc]=runc
  [/usr/bin/mmdebstrap]=mmdebstrap
  [/usr/bin/chromium]=chromium
  [/usr/bin/pgbackrest]=pgbackrest
  [/usr/bin/ceph-mon]=ceph-mon
  [/usr/bin/ceph-osd]=ceph-osd
  [/usr/bin/radosgw]=radosgw
)

missing=()
for path in "${!wanted[@]}"; do
  [[ -x "$path" ]] || missing+=("${wanted[$path]}")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "ensure-system-deps: missing packages (${missing[*]}) and not root; install them with apt-get" >&2
  exit 1
fi

mapfile -t unique < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "ensure-system-deps: installing ${unique[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# --no-install-recommends keeps the install small; policy-rc.d stops Debian from starting the
# packaged services (the tests start their own on free ports).
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends "${unique[@]}" >/dev/null
echo "ensure-system-deps: done" >&2
