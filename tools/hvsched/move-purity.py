#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Prove that a move patch only moves code.

Usage: move-purity.py TREE COMMIT MAX

Classifies every added and removed line of COMMIT (blank lines aside):
  moved     git's --color-moved=blocks (indentation changes allowed) sees it
            moved, or the same text is removed and added once each (short
            blocks git does not report: "#endif", "return 0;"), also when
            only a leading "static " was dropped to share a function;
  glue      what a move needs around the code: the first comment block of
            a new file (SPDX, copyright), #include lines, include guards,
            forward declarations, prototypes in headers, Makefile lines;
  other     anything else: a rename, a new helper, a changed call.
Prints every "glue" and "other" line, then one summary line; exits 1 when
there are more than MAX "other" lines.
"""

import collections
import re
import subprocess
import sys

COLOURS = {'new': 'green', 'old': 'red'}
for k in ('Moved', 'MovedAlternative', 'MovedDimmed', 'MovedAlternativeDimmed'):
    COLOURS['new' + k] = 'blue'
    COLOURS['old' + k] = 'yellow'
GREEN, RED = '\x1b[32m', '\x1b[31m'
ESC = re.compile(r'\x1b\[[0-9;]*m')


def glue(fname, text, at_top):
    t = text.strip()
    if at_top:
        return True
    if fname.endswith('Makefile'):
        return True
    if re.match(r'#\s*include\s', t):
        return True
    if fname.endswith('.h'):
        if re.match(r'#(ifndef|define|endif)\b.*_H_', t) or re.match(r'struct \w+;$', t):
            return True
        # A prototype or its continuation line, a section comment
        if re.match(r'^[\w\s\*]+\(.*$|^\t+[\w\s\*,]+\);?$|^/\* [\w.]+ \*/$', text):
            return True
    return False


def main():
    tree, commit, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cfg = []
    for k, v in COLOURS.items():
        cfg += ['-c', f'color.diff.{k}={v}']
    out = subprocess.run(['git', '-C', tree] + cfg +
                         ['show', '--format=', '--color=always', '--color-moved=blocks',
                          '--color-moved-ws=allow-indentation-change', commit],
                         capture_output=True, text=True, check=True).stdout
    fname, new_file, top = None, False, False
    cand = []       # (sign, fname, text, at_top) not seen as moved by git
    for raw in out.split('\n'):
        line = ESC.sub('', raw)
        if line.startswith('diff '):
            new_file = False
            continue
        if line.startswith('new file'):
            new_file = True
            continue
        if line.startswith('+++ '):
            fname = line[6:] if line.startswith('+++ b/') else fname
            continue
        if line.startswith('--- a/'):
            fname = line[6:]
            continue
        if line.startswith(('--- ', 'index ', 'deleted file')):
            continue
        if line.startswith('@@'):
            top = new_file
            continue
        if line[:1] not in ('+', '-'):
            continue
        text = line[1:]
        if top and not (text.startswith(('/*', ' *', '//')) or not text.strip()):
            top = False
        if not text.strip():
            continue
        if raw.startswith((GREEN, RED)):
            cand.append((line[0], fname, text, top))
    # Pair short blocks git does not report, and "static " dropped.
    key = lambda t: re.sub(r'^static ', '', t.strip())
    removed = collections.Counter(key(t) for s, _, t, _ in cand if s == '-')
    added = collections.Counter(key(t) for s, _, t, _ in cand if s == '+')
    pairs = removed & added
    kinds = collections.Counter()
    report = []
    # Each pair consumes one removed and one added line.
    used = {'-': collections.Counter(), '+': collections.Counter()}
    for s, f, t, at_top in cand:
        k = key(t)
        if used[s][k] < pairs[k]:
            used[s][k] += 1
            kinds['moved'] += 1
            continue
        kind = 'glue' if glue(f, t, at_top) else 'other'
        kinds[kind] += 1
        report.append((kind, f, s + t))
    for kind, f, t in report:
        print(f'  {kind:5} {f}: {t}')
    print(f'{kinds["other"]} lines neither moved nor glue (at most {limit}), '
          f'{kinds["glue"]} glue, {kinds["moved"]} short or de-static\'d moves')
    sys.exit(1 if kinds['other'] > limit else 0)


if __name__ == '__main__':
    main()
