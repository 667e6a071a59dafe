#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh : make sure the host has what the build and the test guest need.
# As root, missing Debian packages are installed with apt-get; otherwise
# the apt-get line to run is printed and the script fails.
set -uo pipefail
# package:probe (a command, or a file that the package installs).  The
# python3-* modules are for checkpatch's spdxcheck.py, run with /usr/bin/python3;
# the arm64 cross compiler is for the production build of drivers/hv on arm64.
need="gcc:gcc make:make flex:flex bison:bison bc:bc libelf-dev:/usr/include/gelf.h
libssl-dev:/usr/include/openssl/ssl.h cpio:cpio qemu-system-x86:qemu-system-x86_64
busybox-static:/bin/busybox sparse:sparse python3:python3 perl:perl git:git xz-utils:xz
file:file ccache:ccache dwarves:pahole rsync:rsync debian-archive-keyring:/usr/share/keyrings/debian-archive-keyring.gpg
libc6-dev:/usr/lib/x86_64-linux-gnu/libc.a kmod:depmod dpkg-dev:dpkg-source
python3-ply:/usr/lib/python3/dist-packages/ply python3-git:/usr/lib/python3/dist-packages/git
gcc-aarch64-linux-gnu:aarch64-linux-gnu-gcc"
missing=""
for e in $need; do
	pkg=${e%%:*} probe=${e#*:}
	case "$probe" in
	/*) [ -e "$probe" ] || missing+=" $pkg" ;;
	*) command -v "$probe" >/dev/null 2>&1 || missing+=" $pkg" ;;
	esac
done
# busybox must be the static one: the initramfs has no libc.
if [ -e /bin/busybox ] && ! file -L /bin/busybox | grep -q 'statically linked'; then
	missing+=" busybox-static"
fi
[ -z "$missing" ] && exit 0
mkdir -p build
if [ "$(id -u)" != 0 ]; then
	echo "deps: error: missing packages; run as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q $missing > build/apt-install.log 2>&1; then
	apt-get update -q >> build/apt-install.log 2>&1 &&
		apt-get install -y -q $missing >> build/apt-install.log 2>&1 ||
		{ echo "deps: error: apt-get install$missing failed (see build/apt-install.log)" >&2; exit 1; }
fi
