"""The README stays true to the code: every setting documented, the two commands real."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from flask_jsscripts.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table():
    documented = set(re.findall(r"^\| `(JSSCRIPTS_\w+)` \|", README, re.M))
    assert documented == set(DEFAULTS)


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    opening = README[: README.index("## ")]
    assert "./dev example" in opening and "./dev test" in opening
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\./dev test\s*$", ci, re.M), "CI must run exactly the README command"
    usage = subprocess.run([str(ROOT / "dev")], capture_output=True, text=True)
    assert usage.returncode == 2 and "example" in usage.stdout and "test" in usage.stdout
