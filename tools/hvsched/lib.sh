# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the hvsched orchestration scripts (sourced).
B=${BUILD:-build}
HV=tools/hvsched
RESULTS=$B/results.txt

# Where the base kernel is: KSRC= or the unpacked Debian package.
base_dir() { if [ -n "${KSRC:-}" ]; then echo "$KSRC"; else echo "$B/base"; fi; }

step() { printf '\n== %s\n' "$*"; }
# record NAME STATUS [WHY]: one check result.
record() {
	if [ "$2" = PASS ]; then echo "PASS $1" >> "$RESULTS"; echo "  PASS $1";
	else echo "FAIL $1: ${3:-}" >> "$RESULTS"; echo "  FAIL $1: ${3:-}"; fi
}
summary() {
	local p f
	p=$(grep -c '^PASS ' "$RESULTS" 2>/dev/null); f=$(grep -c '^FAIL ' "$RESULTS" 2>/dev/null)
	if [ "${f:-0}" != 0 ]; then echo; echo "Failed checks:"; grep '^FAIL ' "$RESULTS" | sed 's/^FAIL /  /'; fi
	echo
	echo "${p:-0} passed, ${f:-0} failed"
	[ "${f:-0}" = 0 ] && [ "${p:-0}" != 0 ]
}

# Prepare the base and the series tree (fetch, import, apply the overlay).
prepare_tree() {
	bash "$HV/deps.sh" || return 1
	if [ -z "${KSRC:-}" ]; then
		bash "$HV/fetch-base.sh" || return 1
	else
		[ -f "$KSRC/Makefile" ] && [ -d "$KSRC/drivers/hv" ] ||
			{ echo "error: KSRC=$KSRC is not a kernel tree with drivers/hv" >&2; return 1; }
	fi
	python3 "$HV/mktree.py" . "$(base_dir)" "$B/tree"
}

kbuild_test()  { bash "$HV/kbuild.sh" "$B/tree" "$B/out/test" "$HV/configs/test.config"; }
kbuild_debug() { bash "$HV/kbuild.sh" "$B/tree" "$B/out/debug" "$HV/configs/test.config" "$HV/configs/debug.config"; }
