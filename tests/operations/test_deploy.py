"""The files in deploy/ name things that exist: metrics, commands, options, settings, runbook
sections. (They are read by operators, not executed by the suite, so they drift silently.)"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

import flask_jsscripts.metrics  # noqa: F401 - defines the series
from flask_jsscripts.cli import jsscripts as jsscripts_cli
from flask_jsscripts.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def exported_names() -> set[str]:
    """Every sample name the extension's series produce (``_total``, ``_bucket``, ...)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(generate_latest(REGISTRY).decode()):
        if family.name.startswith("jsscripts_"):
            names.add(family.name)
            names.update(sample.name for sample in family.samples)
    # Labelled series without a sample yet still export their family; spell out the suffixes.
    for collector in list(REGISTRY._collector_to_names):  # noqa: SLF001 - read-only look
        for name in REGISTRY._collector_to_names[collector]:  # noqa: SLF001
            if name.startswith("jsscripts_"):
                names.add(name)
    return names


def test_every_metric_in_the_alert_rules_exists():
    rules = (DEPLOY / "prometheus" / "alerts.yml").read_text()
    used = set(re.findall(r"\bjsscripts_[a-z_]+", rules))
    assert used, "the alert rules name no metric"
    missing = sorted(used - exported_names())
    assert not missing, f"alerts.yml uses metrics the extension does not export: {missing}"


def test_every_alert_has_a_runbook_section():
    rules = (DEPLOY / "prometheus" / "alerts.yml").read_text()
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^## (.+)$", runbook, re.M)
    }
    alerts = re.findall(r"- alert: (\w+)", rules)
    links = re.findall(r"runbook: \"docs/runbook\.md#([a-z0-9-]+)\"", rules)
    assert len(links) == len(alerts) > 0
    assert not sorted(set(links) - anchors), "alerts link to runbook sections that do not exist"


def test_worker_command_lines_use_real_options():
    worker = jsscripts_cli.commands["worker"]
    options = {opt for param in worker.params for opt in param.opts}
    sources = [
        (DEPLOY / "systemd" / "jsscripts-worker@.service").read_text(),
        (DEPLOY / "Procfile").read_text(),
    ]
    for text in sources:
        lines = [line for line in text.splitlines() if "jsscripts worker" in line]
        assert lines
        for line in lines:
            for option in re.findall(
                r"(?<![\w-])(--?[a-z][a-z-]*)", line.split("jsscripts worker")[1]
            ):
                assert option in options, f"{option} is not an option of `flask jsscripts worker`"


def test_web_units_point_at_the_gunicorn_config_which_loads(tmp_path, monkeypatch):
    for text in (
        (DEPLOY / "systemd" / "jsscripts-web.service").read_text(),
        (DEPLOY / "Procfile").read_text(),
    ):
        assert "deploy/gunicorn.conf.py" in text
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("JSSCRIPTS_SHUTDOWN_GRACE_SECONDS", "20")
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    # A request may hold a run for the whole grace period: gunicorn must wait longer than that.
    assert settings["graceful_timeout"] > 20
    assert callable(settings["child_exit"]) and callable(settings["on_starting"])


def test_environment_file_names_real_settings():
    env = (DEPLOY / "jsscripts.env").read_text()
    keys = re.findall(r"^(JSSCRIPTS_[A-Z_]+)=", env, re.M)
    assert keys
    assert not sorted(set(keys) - set(DEFAULTS)), "jsscripts.env sets unknown JSSCRIPTS_ keys"
    shutdown_grace = float(re.search(r"^JSSCRIPTS_SHUTDOWN_GRACE_SECONDS=(\S+)", env, re.M)[1])
    stop_timeout = int(
        re.search(
            r"^TimeoutStopSec=(\d+)",
            (DEPLOY / "systemd" / "jsscripts-worker@.service").read_text(),
            re.M,
        )[1]
    )
    assert stop_timeout > shutdown_grace, "systemd would kill consumers inside their grace period"


def test_every_test_the_threat_model_cites_exists():
    """docs/security.md proves each claim with a test: every cited test must exist."""
    text = (ROOT / "docs" / "security.md").read_text()
    cited: list[tuple[str, str]] = []
    for match in re.finditer(r"`(test_\w+\.py)::(\w+)`((?:, `::\w+`)*)", text):
        module = match[1]
        cited.append((module, match[2]))
        cited += [(module, name) for name in re.findall(r"`::(\w+)`", match[3])]
    assert len(cited) > 40
    missing = []
    for module, name in cited:
        source = next((ROOT / "tests").rglob(module)).read_text()
        if not re.search(rf"^def {name}\(", source, re.M):
            missing.append(f"{module}::{name}")
    assert not missing, f"docs/security.md cites tests that do not exist: {missing}"
