#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Build the series tree: a git repository whose first commit is the base
kernel and whose following commits are the hvsched patches, one per entry of
the series manifest (tools/hvsched/series/<series>/NN-*.txt).

The patches form postings, one directory of tools/hvsched/series/ each,
applied in the order tools/hvsched/series/SERIES lists them; the tree tags
the last commit of each "series/<name>".

A manifest entry is a commit message (subject, blank line, body) followed by
"Files:" lines.  Each listed path is either
  - a new file of the overlay (added as it is in the overlay, minus the
    evolution diffs of later patches, reverse-applied), or
  - a diff ("P.patch" hook for an existing kernel file, or a
    tools/hvsched/series/*.diff evolution diff of one of our files), applied
    forward with git apply at that point of the series.
The last commit must reproduce the overlay exactly; that is verified.

"Maintainers:" lines (F: patterns) name the files a patch adds.  They
belong in the existing "Hyper-V/Azure CORE AND DRIVERS" section of
MAINTAINERS: a pattern its F: entries already cover (drivers/hv/,
Documentation/virt/hyperv) adds nothing, any other is added to the section,
sorted, by the patch that adds the file.

"Kconfig:" lines name the Kconfig symbols a patch adds.  Every symbol of the
series lives in the overlay's top-level Kconfig.hvsched; in the tree, the
patch that first uses a symbol adds its block to drivers/hv/Kconfig, after
MSHV_ROOT's, in Kconfig.hvsched's order.  A series/*.diff may carry a hunk
for Kconfig.hvsched: the blocks then evolve like any file of the overlay.

Usage: mktree.py OVERLAY BASE TREE
Prints one line per patch; exits non-zero with one "error:" line on failure.
"""

import fnmatch
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Overlay paths that are orchestration, never part of the kernel tree.
NOT_KERNEL = ('Makefile', 'README.md', '.gitignore', '.ci/', 'tools/hvsched/',
              'build/', 'Kconfig.hvsched')
KCONFIG_SRC = 'Kconfig.hvsched'
KCONFIG_DST = 'drivers/hv/Kconfig'
KCONFIG_AFTER = 'config MSHV_ROOT\n'


def die(msg):
    print(f'mktree: error: {msg}', file=sys.stderr)
    sys.exit(1)


def git(tree, *args, inp=None, check=True):
    r = subprocess.run(['git', '-C', tree] + list(args), input=inp,
                       capture_output=True, text=True)
    if check and r.returncode:
        die(f'git {" ".join(args[:3])}: {r.stderr.strip() or r.stdout.strip()}')
    return r.stdout


def is_diff(path):
    return path.endswith('.patch') or path.endswith('.diff')


def diff_targets(text):
    return sorted(set(re.findall(r'^\+\+\+ b/(\S+)', text, re.M)))


def overlay_files(overlay):
    out = git(overlay, 'ls-files', '--cached', '--others', '--exclude-standard')
    return [f for f in out.split('\n')
            if f and not f.startswith(NOT_KERNEL) and os.path.isfile(os.path.join(overlay, f))]


def series_names(overlay):
    """The postings, in the order they apply: tools/hvsched/series/SERIES."""
    d = os.path.join(overlay, 'tools/hvsched/series')
    return [ln.strip() for ln in open(os.path.join(d, 'SERIES')) if ln.strip()]


def parse_manifest(overlay):
    d = os.path.join(overlay, 'tools/hvsched/series')
    entries = [f'{s}/{n}' for s in series_names(overlay)
               for n in sorted(os.listdir(os.path.join(d, s)))
               if re.match(r'\d+-.*\.txt$', n)]
    patches = []
    for name in entries:
        text = open(os.path.join(d, name)).read()
        files, maint, kconf, msg = [], [], [], []
        cur = None
        for line in text.split('\n'):
            if line.startswith('Files:'):
                cur = files
                files += line[len('Files:'):].split()
            elif line.startswith('Maintainers:'):
                cur = maint
                maint += line[len('Maintainers:'):].split()
            elif line.startswith('Kconfig:'):
                cur = kconf
                kconf += line[len('Kconfig:'):].split()
            elif cur is not None and line.startswith((' ', '\t')):
                cur += line.split()
            else:
                cur = None
                msg.append(line)
        message = '\n'.join(msg).strip() + '\n'
        subject = message.split('\n', 1)[0]
        if not re.match(r'^(mshv|Drivers: hv|Documentation|MAINTAINERS|selftests|tools|hyperv|vhost_task|sched)[:/ ]', subject):
            die(f'{name}: subject "{subject}" does not follow "mshv: ..." style')
        if '\n\n' not in message or len(message.split('\n\n', 1)[1].strip()) < 20:
            die(f'{name}: the commit message needs a real body')
        if not files:
            die(f'{name}: no Files: listed')
        patches.append((name, message, files, maint, kconf))
    if not patches:
        die(f'no patches in {d}')
    return patches


def reverse_apply(content, diffs, path):
    """Return content with the given diffs (newest first) reverse-applied."""
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, path)
        os.makedirs(os.path.dirname(f), exist_ok=True)
        open(f, 'w').write(content)
        subprocess.run(['git', 'init', '-q', tmp], check=True)
        for dpath, dtext in diffs:
            r = subprocess.run(['git', '-C', tmp, 'apply', '-R', '--include', path, '-'],
                               input=dtext, capture_output=True, text=True)
            if r.returncode:
                die(f'{dpath} does not reverse-apply to the overlay {path}: {r.stderr.strip()}')
        return open(f).read()


MAINT_SECTION = '\nHyper-V/Azure CORE AND DRIVERS\n'


def maint_covers(entry, path):
    """True if the MAINTAINERS F: entry covers path (get_maintainer's rules)."""
    if entry.endswith('/'):
        return path.startswith(entry)
    if fnmatch.fnmatchcase(path, entry):
        return True
    # An entry without a trailing slash that names a directory covers it.
    return path.startswith(entry + '/')


def add_maintainers(tree, patterns, name):
    """Add the F: patterns the Hyper-V section does not cover yet, sorted."""
    path = os.path.join(tree, 'MAINTAINERS')
    text = open(path).read()
    start = text.find(MAINT_SECTION)
    if start < 0:
        die(f'{name}: MAINTAINERS has no "{MAINT_SECTION.strip()}" section')
    start += 1
    end = text.find('\n\n', start) + 1
    lines = text[start:end].rstrip('\n').split('\n')
    head = [ln for ln in lines if not ln.startswith('F:')]
    fl = [ln for ln in lines if ln.startswith('F:')]
    entries = [ln.split('\t', 1)[1] for ln in fl]
    new = [p for p in patterns
           if not any(maint_covers(e, p.rstrip('*').rstrip('/') or p) for e in entries)]
    if not new:
        return
    fl = sorted(set(fl) | {f'F:\t{p}' for p in new})
    text = text[:start] + '\n'.join(head + fl) + '\n' + text[end:]
    open(path, 'w').write(text)
    git(tree, 'add', '-f', 'MAINTAINERS')


def kconfig_blocks(text):
    """The config blocks of Kconfig.hvsched, {symbol: text}, in order."""
    blocks, cur = {}, None
    for line in text.split('\n'):
        m = re.match(r'(?:menu)?config (\w+)$', line)
        if m:
            cur = m.group(1)
            blocks[cur] = []
        if cur:
            blocks[cur].append(line)
    return {k: '\n'.join(v).strip('\n') + '\n' for k, v in blocks.items()}


def write_kconfig(tree, base, src_text, symbols, name):
    """drivers/hv/Kconfig: the base's, with @symbols' blocks after MSHV_ROOT."""
    blocks = kconfig_blocks(src_text)
    for sym in symbols:
        if sym not in blocks:
            die(f'{name}: Kconfig: {sym} is not a symbol of {KCONFIG_SRC}')
    text = open(os.path.join(base, KCONFIG_DST)).read()
    at = text.find(KCONFIG_AFTER)
    if at < 0:
        die(f'{KCONFIG_DST} of the base has no {KCONFIG_AFTER.strip()}')
    nxt = re.search(r'^(?:config|menuconfig|endmenu|endif|if|menu|source|choice)\b', text[at + 1:], re.M)
    at = at + 1 + nxt.start() if nxt else len(text)
    add = ''.join(blocks[s] + '\n' for s in blocks if s in symbols)
    open(os.path.join(tree, KCONFIG_DST), 'w').write(text[:at] + add + text[at:])
    git(tree, 'add', '-f', KCONFIG_DST)


def base_stamp(base):
    """One line naming the base: the Debian package, or KSRC's version."""
    f = os.path.join(base, '.stamp')
    if os.path.exists(f):
        return open(f).read().strip()
    v = subprocess.run(['make', '-s', '-C', base, 'kernelversion'], capture_output=True,
                       text=True).stdout.strip()
    return f'base: KSRC={os.path.abspath(base)} (kernel {v or "unknown"})'


def main():
    overlay, base, tree = sys.argv[1:4]
    patches = parse_manifest(overlay)
    ofiles = overlay_files(overlay)

    # Every overlay kernel file belongs to exactly one patch.
    listed = {}
    for name, _, files, _, _ in patches:
        for f in files:
            if f == KCONFIG_SRC:
                die(f'{name} lists {f}: name its symbols on a "Kconfig:" line instead')
            if not os.path.isfile(os.path.join(overlay, f)):
                die(f'{name} lists {f}, which is not in the overlay')
            if f in listed:
                die(f'{f} is listed by both {listed[f]} and {name}')
            listed[f] = name
    for f in ofiles:
        if f not in listed:
            die(f'overlay file {f} belongs to no patch of tools/hvsched/series')

    # Identity of this tree: base stamp + manifest + overlay contents,
    # including the series/NN-*.diff files the entries list.
    h = hashlib.sha256()
    h.update(base_stamp(base).encode())
    h.update((os.environ.get('HVSCHED_AUTHOR') or
              git(overlay, 'log', '-1', '--format=%an <%ae>', check=False)).encode())
    for f in sorted(set(ofiles) | set(listed) | {'tools/hvsched/series/SERIES'} | {os.path.relpath(os.path.join(overlay, 'tools/hvsched/series', n), overlay)
                                   for n, _, _, _, _ in patches} | {KCONFIG_SRC}):
        h.update(f.encode() + b'\0' + open(os.path.join(overlay, f), 'rb').read())
    h.update(open(os.path.abspath(__file__), 'rb').read())
    ident = h.hexdigest()

    stampf = os.path.join(tree, '.git', 'hvsched-ident')
    if os.path.exists(stampf) and open(stampf).read() == ident:
        print(f'tree: up to date ({len(patches)} patches)')
        return

    if not os.path.isdir(os.path.join(tree, '.git')) or \
            subprocess.run(['git', '-C', tree, 'rev-parse', '-q', '--verify', 'refs/tags/base'],
                           capture_output=True).returncode:
        print('tree: importing the base (once)')
        shutil.rmtree(tree, ignore_errors=True)
        shutil.copytree(base, tree, symlinks=True)
        git(tree, 'init', '-q')
        git(tree, 'config', 'user.name', 'hvsched base')
        git(tree, 'config', 'user.email', 'hvsched@localhost')
        git(tree, 'config', 'core.autocrlf', 'false')
        git(tree, 'add', '-A', '-f', '.')
        git(tree, 'commit', '-q', '--no-verify', '-m', base_stamp(base))
        git(tree, 'tag', 'base')
    if os.path.exists(stampf):
        os.unlink(stampf)
    git(tree, 'checkout', '-q', '-f', '-B', 'hvsched', 'base')
    git(tree, 'clean', '-q', '-fdx', '-e', '.stamp')

    # The series' author: HVSCHED_AUTHOR, else the author of the overlay's
    # last commit (a fresh clone has it even without a git identity).
    author = os.environ.get('HVSCHED_AUTHOR') or \
        git(overlay, 'log', '-1', '--format=%an <%ae>', check=False).strip()
    m = re.match(r'(.*?)\s*<([^<>@\s]+@[^<>@\s]+)>$', author or '')
    if not m or m.group(2).endswith('@localhost'):
        die(f'no usable author "{author}": set HVSCHED_AUTHOR="Name <address>"')
    aname, amail = m.groups()
    env = dict(os.environ, GIT_AUTHOR_NAME=aname, GIT_AUTHOR_EMAIL=amail,
               GIT_COMMITTER_NAME=aname, GIT_COMMITTER_EMAIL=amail,
               GIT_AUTHOR_DATE='2026-01-01T00:00:00Z', GIT_COMMITTER_DATE='2026-01-01T00:00:00Z')

    # Diffs per target path in series order, for reverse application.
    diffs_by_target = {}
    for idx, (name, _, files, _, _) in enumerate(patches):
        for f in files:
            if is_diff(f):
                text = open(os.path.join(overlay, f)).read()
                for t in diff_targets(text):
                    diffs_by_target.setdefault(t, []).append((idx, f, text))

    kconfig_final = open(os.path.join(overlay, KCONFIG_SRC)).read()
    symbols = []
    for idx, (name, message, files, maint, kconf) in enumerate(patches):
        kconfig_changed = bool(kconf)
        for f in files:
            src = os.path.join(overlay, f)
            if is_diff(f):
                kconfig_changed |= KCONFIG_SRC in diff_targets(open(src).read())
                r = subprocess.run(['git', '-C', tree, 'apply', '--index', '--whitespace=nowarn',
                                    f'--exclude={KCONFIG_SRC}', '-'],
                                   input=open(src).read(), capture_output=True, text=True)
                if r.returncode:
                    die(f'{f} ({name}) does not apply to the base: {r.stderr.strip()}')
            else:
                later = [(p, t) for i, p, t in diffs_by_target.get(f, []) if i > idx]
                content = open(src).read()
                if later:
                    content = reverse_apply(content, list(reversed(later)), f)
                dst = os.path.join(tree, f)
                if os.path.exists(dst):
                    die(f'{f} ({name}) already exists in the base: make it a {f}.patch hook')
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                open(dst, 'w').write(content)
                shutil.copymode(src, dst)
                git(tree, 'add', '-f', f)
        for sym in kconf:
            if sym in symbols:
                die(f'{name}: Kconfig: {sym} is already added by an earlier patch')
            symbols.append(sym)
        if kconfig_changed and symbols:
            later = [(p, t) for i, p, t in diffs_by_target.get(KCONFIG_SRC, []) if i > idx]
            text = reverse_apply(kconfig_final, list(reversed(later)), KCONFIG_SRC) \
                if later else kconfig_final
            write_kconfig(tree, base, text, symbols, name)
        if maint:
            add_maintainers(tree, maint, name)
        signoff = f'Signed-off-by: {author}'
        if signoff in message:
            msg = message
        else:
            # One trailer block: a message ending in Fixes:/Cc: gets the
            # sign-off right below them, as the stable rules expect.
            last = message.rstrip('\n').rsplit('\n\n', 1)[-1].split('\n')
            sep = '\n' if all(re.match(r'[A-Za-z-]+: \S', ln) for ln in last) else '\n\n'
            msg = message.rstrip('\n') + sep + signoff + '\n'
        r = subprocess.run(['git', '-C', tree, 'commit', '-q', '--no-verify', '-F', '-'],
                           input=msg, capture_output=True, text=True, env=env)
        if r.returncode:
            die(f'{name}: commit failed: {r.stderr.strip() or r.stdout.strip()}')
        print(f'tree: [{idx + 1}/{len(patches)}] {message.split(chr(10), 1)[0]}')
        # Each posting ends at a tag of its name: series/<name>.
        if idx + 1 == len(patches) or patches[idx + 1][0].split('/')[0] != name.split('/')[0]:
            git(tree, 'tag', '-f', f'series/{name.split("/")[0]}')

    # The end of the series must be the overlay, exactly.
    missing = [s for s in kconfig_blocks(kconfig_final) if s not in symbols]
    if missing:
        die(f'{KCONFIG_SRC}: no patch adds {", ".join(missing)} (a "Kconfig:" line)')
    for f in ofiles:
        if is_diff(f):
            continue
        if open(os.path.join(tree, f), 'rb').read() != open(os.path.join(overlay, f), 'rb').read():
            die(f'after the last patch {f} differs from the overlay')
    open(stampf, 'w').write(ident)
    open(os.path.join(tree, '.git', 'hvsched-base'), 'w').write(base_stamp(base) + '\n')


if __name__ == '__main__':
    main()
