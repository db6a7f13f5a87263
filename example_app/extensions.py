"""The host's Flask extensions, created once and bound to an app in ``create_app``."""

from __future__ import annotations

import os

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from prometheus_flask_exporter import PrometheusMetrics

from flask_jsscripts import JSScripts


def make_metrics() -> PrometheusMetrics:
    """The host owns the exporter (one per process: a second would collide in the registry).
    Under gunicorn ``PROMETHEUS_MULTIPROC_DIR`` is set (``gunicorn.conf.py``) and ``/metrics``
    must add up every worker's files; otherwise it reads this process's registry. Either way
    it shows the extension's ``jsscripts_*`` series beside the host's ``flask_http_*``."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        return GunicornInternalPrometheusMetrics.for_app_factory(group_by="endpoint")
    return PrometheusMetrics.for_app_factory(group_by="endpoint")


db = SQLAlchemy()
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
jsscripts = JSScripts()
metrics = make_metrics()
