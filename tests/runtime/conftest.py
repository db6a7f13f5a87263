"""Tests of the sandbox runtime and the capabilities scripts reach through it.

The fixtures they share, from the modules in tests/."""

from __future__ import annotations

import pytest
from data_fixtures import *  # noqa: F403
from web_fixtures import *  # noqa: F403

from flask_jsscripts import tenancy
from flask_jsscripts.extension import JSScripts


@pytest.fixture
def http_app(app_factory, rt):
    """An app whose scripts may call sdk.http on 127.0.0.1 (the loopback test servers)."""
    ext = JSScripts(runtime=rt)
    ext.permission_checker(lambda user, perm: True)
    config = {"JSSCRIPTS_HTTP_ALLOW_PRIVATE_HOSTS": ["127.0.0.1"], "JSSCRIPTS_HTTP_TIMEOUT": 5}
    app, db, _ = app_factory(ext=ext, config=config)
    with app.app_context():
        db.create_all()
        with tenancy.tenant_scope("acme"):
            yield app, db
        db.session.remove()
