"""The README stays true to the code: every setting documented, the two commands real."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from flask_jsscripts.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table():
    documented = set(re.findall(r"^\| `(JSSCRIPTS_\w+)` \|", README, re.M))
    assert documented == set(DEFAULTS)


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    opening = README[: README.index("## ")]
    blocks = re.findall(r"```sh\n(.*?)\n```", opening, re.S)
    assert blocks == ["./dev example", "./dev test"], blocks
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert blocks[1] in ci_lines, "CI must run exactly the README's test command"
    usage = subprocess.run([str(ROOT / "dev")], capture_output=True, text=True)
    assert usage.returncode == 2 and "example" in usage.stdout and "test" in usage.stdout
