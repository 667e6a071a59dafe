#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one guest console log into check results.

Usage: results.py LOG LABEL KTREE RESULTS [--expect-kunit N] [--expect-ksft]

Appends to RESULTS one line per check, "PASS <name>" or "FAIL <name>: why":
  - every KUnit case (parsed with the tree's tools/testing/kunit/kunit.py parse),
  - every kselftest case (the KTAP "ok"/"not ok" lines each program prints),
  - the kernel log: any WARNING/BUG/lockdep/KASAN/kmemleak report fails,
  - the boot itself (the guest reached HVSCHED-DONE).
"""

import json
import os
import re
import subprocess
import sys
import tempfile

# Kernel reports that make a run fail, wherever they appear.
BAD = [
    (r'WARNING: .* at ', 'kernel WARNING'),
    (r'\bBUG: ', 'kernel BUG'),
    (r'kernel BUG at', 'kernel BUG'),
    (r'Oops', 'oops'),
    (r'Kernel panic', 'panic'),
    (r'possible (recursive|circular) locking', 'lockdep report'),
    (r'(inconsistent lock state|lock held when returning|suspicious RCU usage)', 'lockdep report'),
    (r'BUG: sleeping function called from invalid context', 'atomic sleep'),
    (r'==+\s*$|BUG: KASAN', 'KASAN report'),
    (r'HVSCHED-KMEMLEAK: [1-9]', 'kmemleak report'),
    (r'ODEBUG:', 'debugobjects report'),
    (r'(soft|hard) lockup|hung_task|blocked for more than', 'lockup'),
    (r'rcu: INFO: .* stall', 'RCU stall'),
]
BAD = [(re.compile(p), w) for p, w in BAD]


def kunit_results(text, ktree):
    """KUnit cases as [(name, status)] from kunit.py parse --json.

    Built-in KUnit runs before init: only the log up to init's first line is
    KUnit's, the kselftest TAP that follows is not."""
    with tempfile.NamedTemporaryFile('r', suffix='.json') as js, \
            tempfile.NamedTemporaryFile('w', suffix='.log') as kl:
        kl.write(text.split('HVSCHED-BOOT:', 1)[0])
        kl.flush()
        r = subprocess.run([sys.executable, os.path.join(ktree, 'tools/testing/kunit/kunit.py'),
                            'parse', '--json=' + js.name, kl.name],
                           capture_output=True, text=True)
        try:
            data = json.load(open(js.name))
        except (ValueError, OSError):
            return None, r.stdout[-2000:] + r.stderr[-2000:]
    out = []

    def walk(group, prefix):
        for sub in group.get('sub_groups', []):
            walk(sub, prefix + [sub['name']])
        for case in group.get('test_cases', []):
            out.append(('.'.join(prefix + [case['name']]), case['status']))
    walk(data, [])
    return out, r.stdout


def ksft_results(text):
    """kselftest cases as [(name, status)] from the KTAP the programs print."""
    out = []
    section = re.search(r'^HVSCHED-KSFT-BEGIN$(.*?)^HVSCHED-KSFT-END$', text, re.M | re.S)
    if not section:
        return None
    prog = None
    said = []
    for line in section.group(1).split('\n'):
        m = re.match(r'# selftests: (\S+)$', line)
        if m:
            prog = m.group(1)
            continue
        # What a case printed (its TH_LOG lines and failed expectations),
        # "# # file.c:line:case:...", to explain a failure in the summary.
        m = re.match(r'# # (\S+?\.c:\d+:.*)$', line)
        if m:
            said.append(m.group(1))
            continue
        if re.match(r'# #\s+RUN\s', line):
            said = []
            continue
        # A program's own cases are indented by the runner with "# ".
        m = re.match(r'# (not ok|ok) \d+ (.*?)(\s+#\s*(SKIP|skip).*)?$', line)
        if m and prog:
            st = 'PASS' if m.group(1) == 'ok' else 'FAIL'
            if m.group(3):
                st = 'SKIP'
            if st == 'FAIL' and said:
                st += ': ' + ' | '.join(said)[:400]
            out.append((f'{prog}.{m.group(2).strip()}', st))
            said = []
            continue
        m = re.match(r'(not ok|ok) \d+ selftests: (\S+)(.*)$', line)
        if m:
            # The program's exit status is a check of its own only if it
            # failed without a failing case (crash, timeout, bad plan).
            if m.group(1) == 'not ok' and not any(n.startswith(m.group(2) + '.') and s.startswith('FAIL')
                                                  for n, s in out):
                out.append((f'{m.group(2)}.exit', 'FAIL' + m.group(3)))
    return out


def main():
    log, label, ktree, resf = sys.argv[1:5]
    expect_kunit = int(sys.argv[sys.argv.index('--expect-kunit') + 1]) \
        if '--expect-kunit' in sys.argv else 0
    expect_ksft = '--expect-ksft' in sys.argv
    text = open(log, errors='replace').read()
    res = []

    booted = 'HVSCHED-DONE' in text
    res.append((f'{label}: boot and power off', 'PASS' if booted else 'FAIL: guest did not finish'))

    cases, raw = kunit_results(text, ktree)
    if cases is None and expect_kunit == 0:
        pass
    elif cases is None:
        res.append((f'{label}: kunit parse', 'FAIL: kunit.py parse found no results'))
    else:
        for name, st in cases:
            res.append((f'{label}: kunit {name}', 'PASS' if st in ('PASS', 'SKIP') else f'FAIL: {st}'))
        if len(cases) < expect_kunit:
            res.append((f'{label}: kunit case count',
                        f'FAIL: {len(cases)} cases ran, at least {expect_kunit} expected'))

    ks = ksft_results(text)
    if ks is None:
        if expect_ksft:
            res.append((f'{label}: kselftests', 'FAIL: the kselftest run did not happen'))
    else:
        for name, st in ks:
            if st in ('PASS', 'SKIP'):
                st = 'PASS'
            elif not st.startswith('FAIL: '):
                st = f'FAIL: {st}'
            res.append((f'{label}: kselftest {name}', st))

    reports = []
    for line in text.split('\n'):
        line = re.sub(r'^\[\s*[\d.]+\]\s*', '', line)
        for rx, what in BAD:
            if rx.search(line) and not line.startswith(('#', 'ok ', 'not ok')):
                # KASAN's banner is a line of '=' followed by "BUG: KASAN".
                if what == 'KASAN report' and 'KASAN' not in line:
                    continue
                reports.append(f'{what}: {line.strip()[:160]}')
                break
    res.append((f'{label}: kernel log free of WARN/BUG/lockdep/KASAN/kmemleak reports',
                'PASS' if not reports else 'FAIL: ' + reports[0] +
                (f' (+{len(reports) - 1} more)' if len(reports) > 1 else '')))

    with open(resf, 'a') as f:
        for name, st in res:
            f.write(f'{st.split(":")[0]} {name}{st[4:] if st.startswith("FAIL") else ""}\n')
    failed = [n for n, s in res if s.startswith('FAIL')]
    print(f'{label}: {len(res) - len(failed)} passed, {len(failed)} failed')
    for n, s in res:
        if s.startswith('FAIL'):
            print(f'  FAIL {n}{s[4:]}')


if __name__ == '__main__':
    main()
