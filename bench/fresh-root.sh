#!/bin/bash
# README's two commands on a fresh Debian 12 root, timed: a debootstrap minbase
# bookworm root with only Node (copied from this host) — no QEMU, cpio, kmod,
# compilers — a fresh clone of this repository's HEAD and an empty krepro cache.
# Not run by CI (it needs ≈ 60–75 min of 2 cores cold); run it on an idle host.
#
# usage: bench/fresh-root.sh [DIR]        (default /tmp/krepro-fresh-root; root only)
#        FRESH_KEEP=1 bench/fresh-root.sh    rerun in the same root after a fix: the clone is
#                                            moved to this HEAD, the root's krepro cache and
#                                            packages are kept (so not a cold proof: say so)
# Writes DIR/cmd1.log, DIR/cmd2.log and prints each command's exit status and time.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
D=${1:-/tmp/krepro-fresh-root}
R=$D/root
log() { echo "[$(date +%T)] $*"; }
mkdir -p "$D"
if [ ! -x "$R/bin/sh" ]; then
  log "debootstrap --variant=minbase bookworm"
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
  debootstrap --variant=minbase bookworm "$R" http://deb.debian.org/debian > "$D/debootstrap.log" 2>&1 || { log "debootstrap failed (see $D/debootstrap.log)"; exit 1; }
fi
log "node + npm into the root"
cp -a "$(command -v node)" "$R/usr/bin/node"
mkdir -p "$R/usr/lib/node_modules" && cp -a /usr/lib/node_modules/npm "$R/usr/lib/node_modules/"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/bin/npx"
cp /etc/resolv.conf "$R/etc/resolv.conf"
for d in proc sys dev dev/pts; do mkdir -p "$R/$d"; mount --bind "/$d" "$R/$d"; done
trap 'for d in dev/pts dev sys proc; do umount -l "$R/$d"; done' EXIT
if [ "${FRESH_KEEP:-}" = 1 ] && [ -d "$R/root/krepro/.git" ]; then
  log "FRESH_KEEP: same root, cache kept; clone moved to $(git -C "$here" rev-parse --short HEAD)"
  git -C "$R/root/krepro" fetch -q "$here" HEAD && git -C "$R/root/krepro" reset -q --hard FETCH_HEAD
else
  rm -rf "$R/root/krepro" "$R/root/.cache" "$R/root/.npm" && git clone -q "$here" "$R/root/krepro"
fi
ENVV="HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb"
# A host that reaches npm through a TLS-intercepting proxy (a sandbox) trusts its CA through
# NODE_EXTRA_CA_CERTS; hand the same bundle to the root. A normal host needs nothing here.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  mkdir -p "$R/opt/host-ca" && cp "$NODE_EXTRA_CA_CERTS" "$R/opt/host-ca/bundle.crt"
  ENVV="$ENVV NODE_EXTRA_CA_CERTS=/opt/host-ca/bundle.crt"
fi
log "commit $(git -C "$R/root/krepro" log --oneline -1 | cut -c1-80)"
chroot "$R" /bin/sh -c 'for t in qemu-system-x86_64 cpio depmod gcc-12 clang-16; do command -v $t >/dev/null || echo "absent: $t"; done'
cmd1=$(sed -n '/^```sh$/{n;p;q}' "$here/README.md")
cmd2=$(sed -n '/^```sh$/{n;n;p;q}' "$here/README.md")
for i in 1 2; do
  eval "cmd=\$cmd$i"
  log "README command $i: $cmd (load $(cut -d' ' -f1-3 /proc/loadavg))"
  start=$(date +%s)
  # shellcheck disable=SC2086
  chroot "$R" /usr/bin/env -i $ENVV /bin/bash -c "cd /root/krepro && $cmd" > "$D/cmd$i.log" 2>&1
  rc=$?
  log "README command $i: exit $rc in $(( $(date +%s) - start )) s (load $(cut -d' ' -f1-3 /proc/loadavg))"
  tail -5 "$D/cmd$i.log"
  [ $rc -eq 0 ] || exit 1
done
