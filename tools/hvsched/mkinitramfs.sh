#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio.gz [KSELFTEST_DIR] : busybox-static initramfs with
# the guest init, the demo and the installed kselftests (static binaries).
set -euo pipefail
out=$1 ksft=${2:-}
here=$(dirname "$(readlink -f "$0")")
die() { echo "mkinitramfs: error: $*" >&2; exit 1; }
bb=$(command -v busybox || true)
[ -n "$bb" ] && file -L "$bb" | grep -q 'statically linked' || bb=/bin/busybox
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || die "no static busybox (apt-get install busybox-static)"
root=$(mktemp -d "${out%/*}/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,hvsched/bin,hvsched/kselftest}
cp "$bb" "$root/bin/busybox"
cp "$here/guest/init" "$root/init"
cp "$here/guest/run-kselftests.sh" "$here/guest/demo.sh" "$root/hvsched/"
if [ -n "$ksft" ] && [ -d "$ksft" ]; then
	cp -a "$ksft"/. "$root/hvsched/kselftest/"
	[ -d "$ksft/bin" ] && cp -a "$ksft"/bin/. "$root/hvsched/bin/"
fi
chmod +x "$root/init" "$root"/hvsched/*.sh
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
