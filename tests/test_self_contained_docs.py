"""The documentation is self-contained: no pointer to documents that are not
in the repository (section signs, design notes, files outside the clone).

Docstrings and READMEs cite the papers and official repositories instead.
The patterns are assembled so that this file does not match itself.
"""
import os
import os.path as osp
import re
import subprocess

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

PATTERN = re.compile('|'.join([
    '\u00a7',  # section sign
    r'specs[/]',
    r'DESIGN\.md',
    r'STYLE\.md',
    r'TOY_NOTE[S]',
    r'INSTALL\.md',
    r'\.\./shared',
]))
SUFFIXES = ('.py', '.md', '.yaml', '.yml', '.txt')
SKIP_DIRS = {'.venv', '.git', 'work_dirs', 'data'}


def _is_text(path):
    name = osp.basename(path)
    return name == 'Makefile' or name.endswith(SUFFIXES)


def _candidate_files():
    """Tracked (and untracked, not ignored) files; a tree walk without git."""
    try:
        out = subprocess.run(
            ['git', 'ls-files', '--cached', '--others', '--exclude-standard',
             '-z'],
            cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
        paths = [p for p in out.decode('utf-8').split('\0') if p]
    except (OSError, subprocess.SubprocessError):
        paths = []
        for dirpath, dirnames, filenames in os.walk(ROOT):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            rel = osp.relpath(dirpath, ROOT)
            paths += [osp.normpath(osp.join(rel, f)) for f in filenames]
    return sorted(
        p for p in paths
        if _is_text(p) and p.split('/')[0] not in SKIP_DIRS
        and osp.isfile(osp.join(ROOT, p)))


def test_no_pointers_to_missing_documents():
    files = _candidate_files()
    assert files, 'no files found to check'
    hits = []
    for rel in files:
        with open(osp.join(ROOT, rel), encoding='utf-8',
                  errors='replace') as f:
            for lineno, line in enumerate(f, 1):
                if PATTERN.search(line):
                    hits.append(f'{rel}:{lineno}: {line.strip()[:100]}')
    assert not hits, (
        'pointers to documents that are not in the repository (cite the '
        'paper / official code and state the fact instead):\n' +
        '\n'.join(hits))
