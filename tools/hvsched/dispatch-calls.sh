#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# dispatch-calls.sh : build drivers/hv/ in a production configuration
# (configs/prod.config: no simulator, no KUnit) for x86_64 and, with
# Debian's gcc-aarch64-linux-gnu, for arm64 -- the compile test a
# maintainer's build bots run -- and check with objdump that the scheduler
# core (mshv_vp_sched.o) calls every operation of mshv_sched_ops.h
# directly: no indirect call or branch, no static-call trampoline, and a
# direct call of each operation's hypercall function.  arm64 matters:
# without inline static calls, a static call there is a load and a blr.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/hvsched/lib.sh
T=$B/tree
# Operation op is implemented by mshv_hvcall_op() (mshv_sched_ops.h).
fns=$(sed -n 's/^MSHV_SCHED_OP(\([a-z_]*\));$/mshv_hvcall_\1/p' "$T/drivers/hv/mshv_sched_ops.h")
[ -n "$fns" ] || { record "dispatch calls: operations listed in mshv_sched_ops.h" FAIL "none found"; exit 0; }

cc_for() { # cc_for ARCH: the compiler command, with ccache when there is one
	local c=gcc
	[ "$1" = arm64 ] && c=aarch64-linux-gnu-gcc
	command -v ccache >/dev/null && c="ccache $c"
	echo "$c"
}

for arch in x86_64 arm64; do
	out=$B/out/prod-$arch
	mkdir -p "$out"
	cross=
	[ $arch = arm64 ] && cross=aarch64-linux-gnu-
	if [ -n "$cross" ] && ! command -v ${cross}gcc >/dev/null; then
		record "dispatch calls: $arch build of drivers/hv" FAIL "${cross}gcc missing (apt-get install gcc-aarch64-linux-gnu)"
		continue
	fi
	export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hvsched-ccache}
	export CCACHE_BASEDIR=$PWD/build CCACHE_NOHASHDIR=1 CCACHE_COMPILERCHECK=content
	export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
	km() { make -s -C "$T" O="$PWD/$out" ARCH=$arch CROSS_COMPILE=$cross CC="$(cc_for $arch)" HOSTCC=gcc "$@"; }
	log=$out/build.log
	{ km tinyconfig &&
	  KCONFIG_CONFIG="$out/.config" "$T/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "$PWD/$HV/configs/prod.config" &&
	  km olddefconfig &&
	  km -j$(( $(nproc) + 1 )) drivers/hv/; } > "$log" 2>&1
	rc=$?
	bad=""
	for s in MSHV_ROOT=y MSHV_INTEGRATED_SCHED=y; do
		grep -qx "CONFIG_$s" "$out/.config" || bad+=" CONFIG_$s"
	done
	for s in MSHV_SIM MSHV_SCHED_OPS KUNIT; do
		grep -q "^CONFIG_$s=y" "$out/.config" && bad+=" CONFIG_$s=y"
	done
	if [ $rc != 0 ] || [ -n "$bad" ] || [ ! -f "$out/drivers/hv/mshv_vp_sched.o" ]; then
		record "dispatch calls: $arch build of drivers/hv (production configuration)" FAIL \
			"${bad:+config:$bad; }$(grep -m3 -E 'error|Error' "$log" | tr '\n' ' ') see $log"
		continue
	fi
	record "dispatch calls: $arch build of drivers/hv (production configuration)" PASS
	dis=$(${cross}objdump -dr "$out/drivers/hv/mshv_vp_sched.o")
	if [ $arch = x86_64 ]; then
		ind=$(echo "$dis" | grep -cE '\s(call|jmp)\s+\*|__x86_indirect_(thunk|call)')
		rel='R_X86_64_(PLT32|PC32)'
	else
		ind=$(echo "$dis" | grep -cE '\s(blr|br)\s')
		rel='R_AARCH64_(CALL26|JUMP26)'
	fi
	sct=$(echo "$dis" | grep -c '__SCT__\|__SCK__\|static_call')
	missing=""
	for f in $fns; do
		echo "$dis" | grep -qE "$rel\s+$f([-+]0x[0-9a-f]+)?$" || missing+=" $f"
	done
	if [ "$ind" = 0 ] && [ "$sct" = 0 ] && [ -z "$missing" ]; then
		record "dispatch calls: $arch mshv_vp_sched.o calls the $(echo $fns | wc -w) hypercalls directly, no indirect call" PASS
	else
		record "dispatch calls: $arch mshv_vp_sched.o calls the hypercalls directly" FAIL \
			"indirect: $ind, static-call references: $sct, no direct call of:${missing:- (none)}"
	fi
done
