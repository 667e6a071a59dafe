#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the series tree back into the overlay (make overlay).

The way to change a patch of the series: `make tree`, then edit the commits
of build/tree (branch hvsched) with ordinary git (commit --fixup, rebase -i,
commit --amend), then `make overlay`.  For patch N (the Nth commit after the
tag base, the Nth entry of tools/hvsched/series/):
  - each new file it lists is written to the overlay as it is at the end of
    the series (mktree reverse-applies the later diffs to get back the
    file's earlier form);
  - each diff it lists (P.patch hook or series/NN-*.diff) is regenerated
    from the commit, for the files that diff targets;
  - its message is written back, keeping the Files: and Maintainers: lines.
A commit that changes a file no listed diff or new file covers is an error:
add the file to the entry first.  The series tree is rebuilt from the
overlay afterwards and must come out identical (checked).

Usage: export.py OVERLAY TREE
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mktree  # noqa: E402


def git(tree, *args):
    r = subprocess.run(['git', '-C', tree] + list(args), capture_output=True, text=True)
    if r.returncode:
        mktree.die(f'git {" ".join(args[:3])}: {r.stderr.strip()}')
    return r.stdout


def same_effect(tree, c, text, targets):
    """True if diff text, applied to c's parent, gives c's targets."""
    with tempfile.NamedTemporaryFile() as idx:
        env = dict(os.environ, GIT_INDEX_FILE=idx.name)
        subprocess.run(['git', '-C', tree, 'read-tree', f'{c}~1'], env=env, check=True)
        r = subprocess.run(['git', '-C', tree, 'apply', '--cached',
                            f'--exclude={mktree.KCONFIG_SRC}', '-'], input=text,
                           capture_output=True, text=True, env=env)
        if r.returncode:
            return False
        for t in targets:
            got = subprocess.run(['git', '-C', tree, 'ls-files', '-s', '--', t], env=env,
                                 capture_output=True, text=True).stdout.split()
            want = subprocess.run(['git', '-C', tree, 'rev-parse', '-q', '--verify', f'{c}:{t}'],
                                  capture_output=True, text=True).stdout.strip()
            if (got[1] if got else '') != want:
                return False
    return True


def main():
    overlay, tree = sys.argv[1:3]
    patches = mktree.parse_manifest(overlay)
    commits = git(tree, 'rev-list', '--reverse', 'base..hvsched').split()
    if len(commits) != len(patches):
        mktree.die(f'build/tree has {len(commits)} commits, the manifest {len(patches)} entries: '
                   'add or remove the entry in tools/hvsched/series/ first')
    git(tree, 'branch', '-f', 'hvsched-before-export', 'hvsched')
    before = [git(tree, 'rev-parse', f'{c}^{{tree}}').strip() for c in commits]
    for c, (name, _, files, maint, kconf) in zip(commits, patches):
        changed = set(git(tree, 'diff', '--name-only', f'{c}~1', c).split())
        covered = set()
        for f in files:
            if mktree.is_diff(f):
                old = open(os.path.join(overlay, f)).read()
                targets = mktree.diff_targets(old)
                # Kconfig.hvsched is not in the tree: its part of the diff
                # stays as it is (edit it by hand); the rest is regenerated.
                kpart = ''.join(x for x in re.split(r'(?m)^(?=--- a/)', old)
                                if x.startswith(f'--- a/{mktree.KCONFIG_SRC}\n'))
                targets = [t for t in targets if t != mktree.KCONFIG_SRC]
                text = git(tree, 'diff', '--no-color', '--no-renames', f'{c}~1', c, '--',
                           *targets) if targets else ''
                if not text and not kpart:
                    mktree.die(f'{name}: {f} no longer changes {" ".join(targets)}; drop it from the entry')
                # Rewrite a diff only when its effect changed: no churn.
                if targets and not same_effect(tree, c, old, targets):
                    open(os.path.join(overlay, f), 'w').write(text + kpart)
                    print(f'export: {f}')
                covered.update(targets)
            else:
                text = git(tree, 'show', f'hvsched:{f}')
                if text != open(os.path.join(overlay, f)).read():
                    open(os.path.join(overlay, f), 'w').write(text)
                    print(f'export: {f}')
                covered.add(f)
        if maint:
            covered.add('MAINTAINERS')
        # drivers/hv/Kconfig is generated from Kconfig.hvsched: edit that.
        if kconf or any(mktree.is_diff(f) and mktree.KCONFIG_SRC in
                        mktree.diff_targets(open(os.path.join(overlay, f)).read()) for f in files):
            covered.add(mktree.KCONFIG_DST)
        stray = sorted(changed - covered)
        if stray:
            mktree.die(f'{name}: the commit changes {", ".join(stray)}, which the entry does not list')
        # The message, without the Signed-off-by mktree adds.
        msg = git(tree, 'log', '-1', '--format=%B', c)
        msg = re.sub(r'\n*Signed-off-by: [^\n]*\n*$', '\n', msg).strip() + '\n'
        path = os.path.join(overlay, 'tools/hvsched/series', name)
        old = open(path).read()
        tail = old[old.index('\nFiles:') + 1:] if '\nFiles:' in old else ''
        new = msg + '\n' + tail
        if new != old:
            open(path, 'w').write(new)
            print(f'export: tools/hvsched/series/{name}')

    # Rebuilding the tree from the overlay must give the same patches.
    r = subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mktree.py'),
                        overlay, os.environ.get('BASE', 'build/base'), tree])
    if r.returncode:
        mktree.die('the exported overlay does not rebuild; the edited commits are on '
                   'branch hvsched-before-export of the tree')
    after = [git(tree, 'rev-parse', f'{c}^{{tree}}').strip()
             for c in git(tree, 'rev-list', '--reverse', 'base..hvsched').split()]
    for i, (b, a) in enumerate(zip(before, after)):
        # drivers/hv/Kconfig is generated from Kconfig.hvsched: the rebuilt
        # one is the reference, whatever the edited commit had there.
        if a != b and git(tree, 'diff', '--name-only', b, a, '--', '.',
                          f':!{mktree.KCONFIG_DST}').strip():
            mktree.die(f'patch {i + 1} rebuilt from the overlay differs from the edited commit '
                       '(branch hvsched-before-export of the tree holds the edit)')
    print(f'export: the overlay reproduces all {len(after)} patches')


if __name__ == '__main__':
    main()
