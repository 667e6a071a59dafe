#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh TREE OUT FRAGMENT... : configure (x86_64 tinyconfig + fragments)
# and build bzImage incrementally in OUT, with ccache when present.
# A symbol of a fragment that does not end up as requested is an error.
set -euo pipefail
tree=$1 out=$2; shift 2
die() { echo "kbuild: error: $*" >&2; exit 1; }
mkdir -p "$out"
jobs=$(( $(nproc) + 1 ))
cc=gcc
if command -v ccache >/dev/null; then
	cc="ccache gcc"
	export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hvsched-ccache}
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
	export CCACHE_BASEDIR=$PWD/build CCACHE_NOHASHDIR=1 CCACHE_COMPILERCHECK=content
	export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
fi
kmake() { make -s -C "$tree" O="$PWD/$out" ARCH=x86_64 CC="$cc" HOSTCC=gcc "$@"; }

frags=()
for f in "$@"; do frags+=("$(readlink -f "$f")"); done
# Regenerated whenever an input changed: a symbol that an earlier patch of
# the series did not have yet must be picked up once it exists.  The inputs
# are every Kconfig file and config fragment of the tree and the fragments
# given; when none changed since the last configuration of $out (the next
# patch of the series changed C files only), the configuration stands.
stamp=$( { find "$tree" -name .git -prune -o \( -name 'Kconfig*' -o -path '*/configs/*' \) \
	-type f -print | LC_ALL=C sort | xargs cat; cat "${frags[@]}"; } | sha256sum)
build() {
	kmake -j"$jobs" bzImage 2>"$out/build.log" || { tail -n 30 "$out/build.log" >&2; die "kernel build failed in $tree (see $out/build.log)"; }
	grep -E 'warning:|error:' "$out/build.log" >&2 || true
	echo "kbuild: $out/arch/x86/boot/bzImage"
}
if [ -f "$out/.config" ] && [ "$(cat "$out/.hvsched-config" 2>/dev/null)" = "$stamp" ]; then
	build
	exit 0
fi
rm -f "$out/.hvsched-config"
kmake tinyconfig >/dev/null
KCONFIG_CONFIG="$out/.config" "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" \
	"$out/.config" "${frags[@]}" >"$out/merge.log" 2>&1 || die "merge_config failed (see $out/merge.log)"
kmake olddefconfig >/dev/null
# Every requested symbol must be set as asked (except when the symbol does
# not exist yet in this tree, e.g. an earlier patch of the series).
bad=""
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) sym=${line%%=*}; grep -q "^$sym=" "$out/.config" && bad+=" $line" ;;
	CONFIG_*=*) sym=${line%%=*}
		if ! grep -qx "$line" "$out/.config"; then
			grep -rqs "^\(menu\)\?config ${sym#CONFIG_}\$" --include='Kconfig*' "$tree" && bad+=" $line"
		fi ;;
	esac
done < <(cat "${frags[@]}")
[ -z "$bad" ] || die "config symbols not set as requested (a dependency is missing):$bad"
echo "$stamp" > "$out/.hvsched-config"
build
