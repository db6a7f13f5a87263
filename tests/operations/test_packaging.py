"""The built wheel carries everything the package needs at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    (built,) = out.glob("flask_jsscripts-*.whl")
    return built


def _expected_files() -> dict[str, Path]:
    """Wheel path -> source path of every file the package needs."""
    expected: dict[str, Path] = {}
    package = ROOT / "flask_jsscripts"
    for path in package.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            expected[f"flask_jsscripts/{path.relative_to(package).as_posix()}"] = path
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        expected[f"flask_jsscripts/_migrations/versions/{path.name}"] = path
    for path in (ROOT / "static" / "monaco").rglob("*"):
        if path.is_file():
            rel = path.relative_to(ROOT / "static" / "monaco").as_posix()
            expected[f"flask_jsscripts/_monaco/{rel}"] = path
    for path in (ROOT / "translations").rglob("*"):
        if path.suffix in (".po", ".mo", ".pot"):
            rel = path.relative_to(ROOT / "translations").as_posix()
            expected[f"flask_jsscripts/translations/{rel}"] = path
    return expected


def test_wheel_contains_every_module_and_data_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        expected = _expected_files()
        missing = sorted(set(expected) - names)
        assert not missing, f"left out of the wheel: {missing}"
        for name, source in expected.items():
            assert zf.read(name) == source.read_bytes(), f"{name} differs from its source"
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_wheel_has_the_sandbox_assets_and_their_licences(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for asset in (
        "shim.js",
        "polyfills.js",
        "intl.js",
        "core-js.js",
        "babel.min.js",
        "VENDORED.md",
        "LICENSES/babel-standalone.LICENSE",
        "LICENSES/core-js.LICENSE",
    ):
        assert f"flask_jsscripts/runtime/js/{asset}" in names
    assert any(n.startswith("flask_jsscripts/_migrations/versions/") for n in names)
    for asset in (
        "_monaco/vs/loader.js",
        "_monaco/vs/editor/editor.main.js",
        "_monaco/vs/language/typescript/tsWorker.js",
        "_monaco/LICENSE",
        "static/jsscripts/vendor/htmx.min.js",
        "static/jsscripts/editor.js",
        "static/jsscripts/sdk.d.ts",
        "templates/jsscripts/layout.html",
    ):
        assert f"flask_jsscripts/{asset}" in names, asset


def test_installed_wheel_finds_its_files(wheel: Path, tmp_path: Path) -> None:
    """Installed (not editable), the package locates its JavaScript and migrations."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import flask_jsscripts, flask_jsscripts.runtime.worker as w;"
        "assert flask_jsscripts.__file__.startswith(sys.argv[1]), flask_jsscripts.__file__;"
        "assert 'Object.freeze' in w._js('shim.js') and w._js('polyfills.js');"
        "from flask_jsscripts.migrations import versions_path;"
        "p = versions_path(); assert p.startswith(sys.argv[1]), p;"
        "from flask_jsscripts.web.assets import monaco_dir;"
        "m = str(monaco_dir()); assert m.startswith(sys.argv[1]), m"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(target)], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
