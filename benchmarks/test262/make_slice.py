"""Rebuild benchmarks/test262/slice/ from a tc39/test262 git directory at the pinned commit.

    python benchmarks/test262/make_slice.py /path/to/test262/.git [--commit SHA]

Copies, byte for byte, the test files of the directories in ``SELECTION``, the harness files
they include (plus the ones every test gets), and test262's LICENSE. The old slice is removed
first, so the result depends only on the commit and ``SELECTION``.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import shutil
import subprocess
import sys
from pathlib import Path

PINNED_COMMIT = "be13516fb6441b950ba8a3df97eb34062c186972"
SLICE = Path(__file__).resolve().parent / "slice"

# (folder, file-name pattern): every .js test below the folder whose name matches the pattern.
SELECTION: tuple[tuple[str, str], ...] = (
    ("test/language/expressions/optional-chaining", "*"),
    ("test/language/expressions/coalesce", "*"),
    ("test/language/expressions/logical-assignment", "*"),
    ("test/language/literals/numeric/numeric-separators", "*"),
    ("test/language/statements/class/elements", "*"),
    ("test/language/statements/class", "static-init-*"),
    ("test/language/statements/for-await-of", "*"),
    ("test/language/statements/async-function", "*"),
    ("test/language/expressions/async-function", "*"),
    ("test/language/expressions/await", "*"),
    ("test/language/statements/async-generator", "*"),
    ("test/language/expressions/async-generator", "*"),
    ("test/language/expressions/exponentiation", "*"),
    ("test/language/expressions/compound-assignment", "*-exp.js"),
    ("test/language/expressions/tagged-template", "*"),
    ("test/language/expressions/assignment/dstr", "*"),
    ("test/language/expressions/arrow-function/dstr", "*"),
    ("test/language/expressions/object/dstr", "*"),
    ("test/language/statements/const/dstr", "*"),
    ("test/language/statements/let/dstr", "*"),
    ("test/language/statements/variable/dstr", "*"),
    ("test/language/statements/function/dstr", "*"),
    ("test/language/statements/for-of/dstr", "*"),
    ("test/language/statements/try/dstr", "*"),
    ("test/built-ins/String/prototype/replaceAll", "*"),
    ("test/built-ins/String/prototype/at", "*"),
    ("test/built-ins/String/prototype/matchAll", "*"),
    ("test/built-ins/String/prototype/trimStart", "*"),
    ("test/built-ins/String/prototype/trimEnd", "*"),
    ("test/built-ins/String/raw", "*"),
    ("test/built-ins/Array/prototype/at", "*"),
    ("test/built-ins/Array/prototype/findLast", "*"),
    ("test/built-ins/Array/prototype/findLastIndex", "*"),
    ("test/built-ins/Array/prototype/flat", "*"),
    ("test/built-ins/Array/prototype/flatMap", "*"),
    ("test/built-ins/Array/prototype/toSorted", "*"),
    ("test/built-ins/Array/prototype/toReversed", "*"),
    ("test/built-ins/Array/prototype/toSpliced", "*"),
    ("test/built-ins/Array/prototype/with", "*"),
    ("test/built-ins/Object/hasOwn", "*"),
    ("test/built-ins/Object/fromEntries", "*"),
    ("test/built-ins/Object/groupBy", "*"),
    ("test/built-ins/Promise/any", "*"),
    ("test/built-ins/Promise/allSettled", "*"),
    ("test/built-ins/AggregateError", "*"),
    ("test/built-ins/Error", "*"),
    ("test/built-ins/NativeErrors", "*"),
    ("test/built-ins/global", "*"),
    ("test/built-ins/RegExp/named-groups", "*"),
    ("test/built-ins/RegExp/dotall", "*"),
    ("test/built-ins/RegExp/lookBehind", "*"),
    ("test/built-ins/Map", "*"),
    ("test/built-ins/Set", "*"),
    ("test/built-ins/Symbol", "*"),
)

# Every test gets these (the runner adds doneprintHandle.js to async tests).
ALWAYS = ("assert.js", "sta.js", "doneprintHandle.js")
_INCLUDES = re.compile(r"^includes:\s*\[([^\]]*)\]", re.MULTILINE)
_INCLUDES_LIST = re.compile(r"^includes:\s*\n((?:\s+-\s*\S+\s*\n)+)", re.MULTILINE)


def includes_of(text: str) -> list[str]:
    """The harness files a test (or a harness file) names in its frontmatter."""
    found = []
    for match in _INCLUDES.finditer(text):
        found += [name.strip() for name in match.group(1).split(",") if name.strip()]
    for match in _INCLUDES_LIST.finditer(text):
        found += [line.strip()[1:].strip() for line in match.group(1).splitlines()]
    return found


def selected(path: str) -> bool:
    if not path.endswith(".js") or "_FIXTURE" in path:
        return False
    for folder, pattern in SELECTION:
        if path.startswith(folder + "/"):
            rest = path[len(folder) + 1 :]
            if pattern == "*" or ("/" not in rest and fnmatch.fnmatch(rest, pattern)):
                return True
    return False


def _git(git_dir: str, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", git_dir, *args], input=data, capture_output=True, check=True
    ).stdout


def _blobs(git_dir: str, commit: str, paths: list[str]) -> dict[str, bytes]:
    """The contents of ``paths`` at ``commit``, read in one ``git cat-file --batch``."""
    request = "".join(f"{commit}:{p}\n" for p in paths).encode()
    out = _git(git_dir, "cat-file", "--batch", data=request)
    blobs, pos = {}, 0
    for path in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        if header[-1] == b"missing":
            raise SystemExit(f"{path} is missing at {commit}")
        size = int(header[2])
        blobs[path] = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return blobs


def build(git_dir: str, commit: str, dest: Path = SLICE) -> dict[str, int]:
    listing = _git(git_dir, "ls-tree", "-r", "-z", "--name-only", commit, "test").decode()
    tests = sorted(p for p in listing.split("\0") if p and selected(p))
    blobs = _blobs(git_dir, commit, tests)
    harness: set[str] = set(ALWAYS)
    pending = [name for path in tests for name in includes_of(blobs[path].decode())]
    pending += list(ALWAYS)
    while pending:  # harness files may include others
        name = pending.pop()
        harness.add(name)
        text = _blobs(git_dir, commit, [f"harness/{name}"])[f"harness/{name}"]
        blobs[f"harness/{name}"] = text
        pending += [n for n in includes_of(text.decode()) if n not in harness]
    blobs["LICENSE"] = _blobs(git_dir, commit, ["LICENSE"])["LICENSE"]
    if dest.exists():
        shutil.rmtree(dest)
    for path, data in blobs.items():
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return {
        "tests": len(tests),
        "harness": len(harness),
        "bytes": sum(len(d) for d in blobs.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir", help="a tc39/test262 git directory (bare or .git)")
    parser.add_argument("--commit", default=PINNED_COMMIT, help="default: the pinned commit")
    args = parser.parse_args(argv)
    try:
        _git(args.git_dir, "cat-file", "-e", f"{args.commit}^{{commit}}")
    except (subprocess.CalledProcessError, FileNotFoundError):
        parser.error(f"{args.git_dir} is not a git directory holding commit {args.commit}")
    counts = build(args.git_dir, args.commit)
    print(
        f"{counts['tests']} tests, {counts['harness']} harness files, "
        f"{counts['bytes'] / 1e6:.1f} MB in {SLICE}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
