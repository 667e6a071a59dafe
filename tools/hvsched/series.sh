#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh [check] : generate the LKML postings (git format-patch with a
# cover letter each) from the series tree into build/series/<name>/.  With "check":
# the series applies to a clean base (git am), every patch passes
# checkpatch --strict, get_maintainer.pl sends each to linux-hyperv, the
# move patch only moves code, and every patch builds, incrementally, in order.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/hvsched/lib.sh
mode=${1:-}
out=$B/series
T=$B/tree

rm -rf "$out.tmp"; mkdir -p "$out.tmp"
# One posting per directory of tools/hvsched/series, in SERIES order, each
# from the previous posting's end to its own tag (mktree), with its cover
# letter.  --base names the base commit and, for a posting that needs an
# earlier one, each prerequisite patch (prerequisite-patch-id:).
prev=base
for name in $(cat "$HV/series/SERIES"); do
	# The Message-Ids and the cover letter's From: name the series' author.
	git -C "$T" -c user.name="$(git -C "$T" log -1 --format=%an hvsched)" \
		-c user.email="$(git -C "$T" log -1 --format=%ae hvsched)" \
		format-patch -q --cover-letter --thread=shallow --base=base \
		-o "$PWD/$out.tmp/$name" "$prev..series/$name" ||
		{ echo "series: error: git format-patch of $name failed in $T" >&2; exit 1; }
	python3 - "$out.tmp/$name/0000-cover-letter.patch" "$HV/series/$name/cover-letter.txt" <<'PY'
import sys
p, c = sys.argv[1:3]
text = open(p).read()
cover = open(c).read().strip().split('\n', 1)
text = text.replace('*** SUBJECT HERE ***', cover[0]).replace('*** BLURB HERE ***', cover[1].strip())
open(p, 'w').write(text)
PY
	prev=series/$name
done
rm -rf "$out" && mv "$out.tmp" "$out"
patches() { for name in $(cat "$HV/series/SERIES"); do ls "$out/$name"/0*.patch | grep -v 0000-cover; done; }
n=$(patches | wc -l)
for name in $(cat "$HV/series/SERIES"); do
	echo "series: $name: $(ls "$out/$name"/0*.patch | grep -vc 0000-cover) patches and a cover letter in $out/$name/"
done
[ "$mode" = check ] || exit 0

# 1. The series applies to a clean base with git am.
wt=$B/apply-check
git -C "$T" worktree remove --force "$PWD/$wt" >/dev/null 2>&1; rm -rf "$wt"
git -C "$T" worktree prune
if git -C "$T" worktree add -q --detach "$PWD/$wt" base >/dev/null 2>&1 &&
   git -C "$wt" -c user.name=check -c user.email=check@localhost am -q \
	$(patches | sed "s|^|$PWD/|") > "$B/apply-check.log" 2>&1; then
	record "series: the $(cat "$HV/series/SERIES" | tr '\n' ' ')postings ($n patches) apply in order to a clean base with git am" PASS
else
	record "series: the postings ($n patches) apply in order to a clean base with git am" FAIL "see $B/apply-check.log"
fi
git -C "$T" worktree remove --force "$PWD/$wt" >/dev/null 2>&1; rm -rf "$wt"; git -C "$T" worktree prune

# 2. checkpatch --strict: no error, warning or check.  The kernel's Python
#    helpers (spdxcheck.py) run with Debian's python3 and its modules.
for p in $(patches); do
	name=$(basename "$(dirname "$p")")/$(basename "$p" .patch)
	abs=$(readlink -f "$p")
	# UNKNOWN_COMMIT_ID: the tree holds the base as one commit, so the
	# upstream commit a stable fix's Fixes: tag names is not in it;
	# checkpatch still checks the tag's form (GIT_COMMIT_ID).
	# FILE_PATH_CHANGES ("does MAINTAINERS need updating?") is asked of
	# every patch that adds a file; step 3 answers it with
	# get_maintainer.pl for each patch instead.
	res=$(cd "$T" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict \
		--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES --showfile "$abs" 2>&1)
	rc=$?
	if [ $rc = 0 ] && grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$res"; then
		record "checkpatch --strict $name" PASS
	else
		record "checkpatch --strict $name" FAIL "exit $rc: $(grep -m1 -E "^(ERROR|WARNING|CHECK):" <<<"$res") $(grep -m1 "^total:" <<<"$res")"
		echo "$res" | sed 's/^/      /' | head -n 20
	fi
done

# 3. get_maintainer.pl (MAINTAINERS of the series' end, no git history)
#    sends every patch to linux-hyperv: through the Hyper-V entry, or, for a
#    patch to another subsystem's file (vhost_task), its own Cc: trailer.
list=linux-hyperv@vger.kernel.org
for p in $(patches); do
	name=$(basename "$(dirname "$p")")/$(basename "$p" .patch)
	abs=$(readlink -f "$p")
	to=$(cd "$T" && perl scripts/get_maintainer.pl --no-git --no-git-fallback --nofixes \
		--norolestats "$abs" 2>&1)
	if echo "$to" | grep -qx "$list"; then
		record "get_maintainer: $name goes to $list" PASS
	elif grep -qx "Cc: $list" "$p"; then
		record "get_maintainer: $name goes to $list (its Cc: trailer)" PASS
	else
		record "get_maintainer: $name goes to $list" FAIL "get_maintainer.pl: $(echo "$to" | tr '\n' ' ' | cut -c1-200)"
	fi
	if grep -q '@localhost' "$p"; then
		record "no placeholder address in $name" FAIL "$(grep -m1 '@localhost' "$p")"
	fi
done

# 4. The move patch only moves code: at most 3 lines that are neither moved
#    (git --color-moved) nor the glue a move needs (file headers, includes,
#    prototypes, Makefile); the 3 are the two register wrappers of
#    mshv_root_main.c that lose "static" to be shared.
move=$(git -C "$T" log --format=%h --grep='^mshv: Move the VP dispatch loops into mshv_vp_sched.c$' base..hvsched)
if [ -z "$move" ]; then
	record "move patch only moves code" FAIL "no 'mshv: Move the VP dispatch loops' commit"
elif res=$(python3 "$HV/move-purity.py" "$T" "$move" 3 2>&1); then
	record "move patch only moves code: $(echo "$res" | tail -n1)" PASS
else
	record "move patch only moves code" FAIL "$(echo "$res" | tail -n1)"
	echo "$res" | grep '^  other' | head -n 20
fi

# 5. Every patch builds, in order, incrementally (the test configuration).
# A patch that changes only files the kernel build never reads
# (Documentation/, tools/testing/, MAINTAINERS) leaves every input of the
# build as the patch before it left them: that build, which passed, is
# its build too, and is not run again.
i=0
prev_ok=0
for c in $(git -C "$T" rev-list --reverse base..hvsched); do
	i=$((i + 1))
	subj=$(git -C "$T" log -1 --format=%s "$c")
	if [ $prev_ok = 1 ] && ! git -C "$T" diff --name-only "$c~1" "$c" |
		grep -qvE '^(Documentation/|tools/testing/|MAINTAINERS$)'; then
		record "patch $i/$n builds: $subj (changes no build input: the build of patch $((i - 1)))" PASS
		continue
	fi
	git -C "$T" checkout -q --detach "$c"
	if kbuild_test > "$B/patch-build-$i.log" 2>&1; then
		record "patch $i/$n builds: $subj" PASS
		prev_ok=1
	else
		record "patch $i/$n builds: $subj" FAIL "$(tail -n 3 "$B/patch-build-$i.log" | tr '\n' ' ')"
		prev_ok=0
	fi
done
git -C "$T" checkout -q hvsched
