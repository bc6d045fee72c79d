#!/usr/bin/env bash
# Run a command (default: make test) on this checkout inside a debootstrap root of another
# Debian release, e.g. Debian 13 (trixie) on a Debian 12 machine or the other way round.
#
# Usage: scripts/debian_root.sh RELEASE [COMMAND ARGS...]      (as root, or it re-runs with sudo)
#   RELEASE  bookworm (Debian 12) or trixie (Debian 13); any suite debootstrap knows works
#
# The root is kept between runs in $DEBIAN_ROOTS/RELEASE (default /var/cache/building-area),
# so only the first run on a machine pays for debootstrap, apt and pip; later runs reuse the
# root, its apt packages and its venvs (make's own stamps decide what is missing). Each run:
#   1. builds the root if it has no stamp (into RELEASE.new, renamed when complete, so an
#      interrupted build is never taken for a finished one);
#   2. refreshes its apt sources, DNS, CA bundle and pip config from this machine;
#   3. mounts proc, sys, dev (and ../shared and /opt/wheels read-only where they exist);
#   4. copies the working tree (tracked and untracked files, not what git ignores) to
#      /work/building-area in the root, deleting files gone from the checkout but keeping the
#      root's own .venv, .venv-train, build/ and out/;
#   5. runs the command there as root, with a clean environment;
#   6. unmounts everything it mounted, also on failure or Ctrl-C (and any mounts a killed
#      earlier run left behind, before starting).
# Delete a root with `rm -rf --one-file-system $DEBIAN_ROOTS/RELEASE` (no run in progress).
#
# Environment: DEBIAN_ROOTS (cache folder), DEBIAN_MIRROR (default: this machine's Debian
# mirror from its apt sources, else http://deb.debian.org/debian).
set -euo pipefail

release=${1:?usage: $0 RELEASE [COMMAND ARGS...]}
shift
[ $# -gt 0 ] || set -- make test

if [ "$(id -u)" -ne 0 ]; then
    exec sudo --preserve-env=DEBIAN_ROOTS,DEBIAN_MIRROR "$0" "$release" "$@"
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${DEBIAN_ROOTS:-/var/cache/building-area}
root=$cache/$release
# Bump when the recipe below changes, so that cached roots are rebuilt.
recipe="debootstrap minbase 1: make git ca-certificates python3 python3-venv procps"
includes=make,git,ca-certificates,python3,python3-venv,procps
workdir=/work/building-area

log() { echo "debian_root[$release]: $*" >&2; }

host_mirror() {
    # The first Debian archive URI of this machine's apt sources (deb822 or one-line format).
    grep -rhoE '(https?://[^ ]+/debian)/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
        grep -v -e security -e debian-ports | head -n 1 | tr -d ' ' | sed 's:/$::' || true
}
mirror=${DEBIAN_MIRROR:-$(host_mirror)}
mirror=${mirror:-http://deb.debian.org/debian}

# -- host tools --------------------------------------------------------------------------------
missing=$(for tool in debootstrap rsync; do command -v "$tool" >/dev/null || echo "$tool"; done)
if [ -n "$missing" ]; then
    log "apt: installing" $missing
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

mkdir -p "$cache"
exec 9>"$cache/$release.lock"
flock 9  # one run per root at a time

# -- mounts ------------------------------------------------------------------------------------
mounts_under() {  # mount points at or below $1, deepest first
    findmnt -rn -o TARGET | awk -v top="$1" 'index($0, top "/") == 1 || $0 == top' | sort -r
}
unmount_all() {
    local target
    for target in $(mounts_under "$root"); do
        umount "$target" 2>/dev/null || umount -l "$target"
    done
}
unmount_all  # left by a run that was killed outright
trap unmount_all EXIT
trap 'exit 130' INT TERM

# -- the root ----------------------------------------------------------------------------------
if [ "$(cat "$root/.building-area-root" 2>/dev/null)" != "$recipe" ]; then
    if [ -n "$(mounts_under "$root.new")" ] || [ -n "$(mounts_under "$root")" ]; then
        log "refusing to delete $root: something is still mounted in it"; exit 1
    fi
    rm -rf --one-file-system "$root.new" "$root"
    log "debootstrap $release from $mirror into $root (first run on this machine: a few minutes)"
    start=$SECONDS
    debootstrap --variant=minbase --include="$includes" "$release" "$root.new" "$mirror" > "$cache/$release.debootstrap.log" 2>&1 ||
        { tail -n 20 "$cache/$release.debootstrap.log" >&2; log "debootstrap failed (log: $cache/$release.debootstrap.log)"; exit 1; }
    echo "$recipe" > "$root.new/.building-area-root"
    mv "$root.new" "$root"
    log "debootstrap took $((SECONDS - start)) s"
fi

# Refreshed every run (cheap): sources with updates and security, DNS, CA bundle, pip config.
cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror $release main
deb $mirror $release-updates main
deb ${mirror%/debian}/debian-security $release-security main
EOF
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
if [ -d /usr/local/share/ca-certificates ]; then  # local CAs survive the root's update-ca-certificates
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"  # apt in the root starts no services
chmod 755 "$root/usr/sbin/policy-rc.d"

mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
read_only_bind() {  # read_only_bind SOURCE TARGET
    mkdir -p "$2"
    mount --bind "$1" "$2" && mount -o remount,bind,ro "$2"
}
# ../shared (data, weights some tests look for) and pip's find-links folder, where they exist.
[ -d "$repo/../shared" ] && read_only_bind "$(cd "$repo/../shared" && pwd)" "$root$(dirname "$workdir")/shared"
[ -d /opt/wheels ] && read_only_bind /opt/wheels "$root/opt/wheels"

# -- the checkout ------------------------------------------------------------------------------
# What git ignores is neither copied nor deleted: the root keeps its own venvs and builds.
"$repo/scripts/copy_checkout.sh" "$repo" "$root$workdir"

# -- the command --------------------------------------------------------------------------------
environment=(HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive
             PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
while IFS= read -r name; do  # pip's settings, CA bundles and proxies pass through
    environment+=("$name=${!name}")
done < <(compgen -e | grep -E '^(PIP_[A-Z_]+|[A-Z_]*CA_BUNDLE|SSL_CERT_(FILE|DIR)|(http|https|no)_proxy|(HTTP|HTTPS|NO)_PROXY)$' || true)
log "running '$*' in $workdir ($(cat "$root/etc/debian_version" 2>/dev/null))"
chroot "$root" /usr/bin/env -i "${environment[@]}" /bin/bash -c 'cd "$0" && exec "$@"' "$workdir" "$@"
