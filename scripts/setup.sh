#!/bin/sh
# setup.sh - install everything mmulab needs to build and test, on Debian 12 or 13.
#
# Idempotent: when every package is present (and Unicorn is >= 2.1) it touches
# nothing and returns in well under a second.
#
# Why the Debian 13 pin: Unicorn 2.0.x (Debian 12) cannot host a custom MMU
# (its page walk discards the physical address; see docs/design.md). Debian 13
# ships Unicorn 2.1 and Capstone 5, whose packages install cleanly on Debian 12.
# On Debian 12 we therefore add the trixie suite from the mirror this machine
# already uses, pinned so that only those four packages come from it.
set -eu

PKGS="gcc make pkg-config python3 meson ninja-build libelf-dev libcmocka-dev
      libunicorn-dev libcapstone-dev gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64
      gdb valgrind tar"
PINNED="libunicorn-dev libunicorn2t64 libcapstone-dev libcapstone5"
LIST=/etc/apt/sources.list.d/mmulab-trixie.sources
PREF=/etc/apt/preferences.d/mmulab-trixie

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""
elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"
else SUDO="__none__"; fi

as_root() {
    [ "$SUDO" = "__none__" ] && die "need root (or sudo) to run: $*"
    $SUDO "$@"
}

missing() {
    for p in $PKGS; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            printf '%s ' "$p"
    done
}

unicorn_ok() {
    pkg-config --atleast-version=2.1 unicorn 2>/dev/null &&
        pkg-config --atleast-version=5.0 capstone 2>/dev/null
}

# The URI of the Debian archive this machine already uses, read from its apt
# sources (deb822 .sources files or one-line sources.list entries).
debian_mirror() {
    codename=$1
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v cn="$codename" '
            /^[[:space:]]*$/ { if (uri != "" && suite) { print uri; exit } uri=""; suite=0; next }
            /^URIs:/   { uri=$2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == cn) suite=1 }
            END { if (uri != "" && suite) print uri }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v cn="$codename" '$1 == "deb" {
            i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i+1) == cn) print $i }' "$f"
    done
}

add_trixie_pin() {
    [ -f "$LIST" ] && [ -f "$PREF" ] && return 0
    mirror=$(debian_mirror "$1" | head -n 1)
    [ -n "$mirror" ] || die "cannot find the Debian mirror for '$1' in /etc/apt/sources*"
    say "adding Debian 13 (trixie) from $mirror, pinned to: $PINNED"
    printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$mirror" | as_root tee "$LIST" >/dev/null
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n\nPackage: %s\nPin: release n=trixie\nPin-Priority: 990\n' \
        "$PINNED" | as_root tee "$PREF" >/dev/null
}

need=$(missing)
if [ -z "$need" ] && unicorn_ok; then
    exit 0
fi

[ -r /etc/os-release ] || die "/etc/os-release missing: not a Debian system?"
. /etc/os-release
case "${VERSION_ID:-}" in
    12) add_trixie_pin "${VERSION_CODENAME:-bookworm}"; extra=trixie ;;
    13|"") extra="" ;;
    *) say "untested Debian version '${VERSION_ID}'; trying native packages"; extra="" ;;
esac

say "installing: ${need:-(upgrading unicorn/capstone)}"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
if [ -n "$extra" ]; then
    # The pinned packages first, explicitly from trixie, then the rest.
    as_root apt-get install -y -qq --no-install-recommends -t trixie $PINNED
    as_root apt-get install -y -qq --no-install-recommends $need
else
    as_root apt-get install -y -qq --no-install-recommends $need
fi
unicorn_ok || die "Unicorn >= 2.1 and Capstone >= 5 are required; found unicorn $(pkg-config --modversion unicorn 2>/dev/null || echo none), capstone $(pkg-config --modversion capstone 2>/dev/null || echo none)"
say "done"
