#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh : every check of the project (make check).
#   series : the generated patches apply to a clean base, each passes
#            checkpatch --strict and each builds (incrementally);
#   calls  : drivers/hv/ in a production configuration builds for x86_64 and
#            arm64, and the scheduler core calls the hypercalls directly;
#   static : sparse and W=1 on our C files;
#   test   : the test kernel boots under QEMU, built-in KUnit + kselftests;
#   debug  : the same on the debug kernel (lockdep, KASAN, kmemleak, ...).
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/hvsched/lib.sh
STAGES=${STAGES:-"series calls static test debug"}
mkdir -p "$B"
: > "$RESULTS"
t0=$(date +%s)

step "prepare: dependencies, base kernel, series tree"
if ! prepare_tree; then
	record "prepare base kernel and series tree" FAIL "see the error above"
	summary; exit 1
fi
record "overlay applies to the base ($(head -n1 "$B/tree/.git/hvsched-base" 2>/dev/null || cat "$(base_dir)/.stamp" 2>/dev/null))" PASS

has() { case " $STAGES " in *" $1 "*) return 0 ;; esac; return 1; }

if has series; then
	step "series: format-patch, apply to a clean base, checkpatch --strict, build each patch"
	bash "$HV/series.sh" check
fi

if has calls; then
	step "calls: production builds of drivers/hv (x86_64, arm64); direct calls on the dispatch path"
	bash "$HV/dispatch-calls.sh"
fi

test_kernel_ok=0
step "test kernel: build (test.config)"
if kbuild_test; then test_kernel_ok=1; record "test kernel builds" PASS; else record "test kernel builds" FAIL "see $B/out/test/build.log"; fi

if has static && [ $test_kernel_ok = 1 ]; then
	step "static: sparse (C=2) and W=1 on our C files"
	bash "$HV/static.sh"
fi

step "kselftests: build"
ksft_ok=1
bash "$HV/ksft.sh" "$B/ksft" || { ksft_ok=0; record "kselftests build" FAIL "see $B/ksft.log"; }

boot() { # boot LABEL OUTDIR TIMEOUT
	local label=$1 out=$2 tmo=$3
	bash "$HV/mkinitramfs.sh" "$B/initramfs-check.cpio.gz" "$B/ksft/install" || { record "$label: initramfs" FAIL; return; }
	bash "$HV/qemu-run.sh" "$out/arch/x86/boot/bzImage" "$B/initramfs-check.cpio.gz" check "$B/$label.log" "$tmo"
	python3 "$HV/results.py" "$B/$label.log" "$label" "$B/tree" "$RESULTS" \
		--expect-kunit "$(cat "$HV/expected-kunit-cases" 2>/dev/null || echo 0)" --expect-ksft
	echo "  console log: $B/$label.log"
}

if has test && [ $test_kernel_ok = 1 ]; then
	step "test kernel: boot, KUnit, kselftests"
	boot test "$B/out/test" 1200
fi

if has debug; then
	step "debug kernel: build (test.config + debug.config)"
	if kbuild_debug; then
		record "debug kernel builds" PASS
		step "debug kernel: boot, KUnit, kselftests, lockdep/KASAN/kmemleak"
		boot debug "$B/out/debug" 2400
	else
		record "debug kernel builds" FAIL "see $B/out/debug/build.log"
	fi
fi

echo
echo "make check took $(( ($(date +%s) - t0) / 60 )) min $(( ($(date +%s) - t0) % 60 )) s; results in $RESULTS"
summary
