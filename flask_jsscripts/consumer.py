"""Entry point for Huey's own consumer: ``huey_consumer flask_jsscripts.consumer.huey``.

Importing this module builds the host's Flask app the way ``flask`` does (``FLASK_APP``, else
``app.py``/``wsgi.py`` in the working directory) and exposes the extension's Huey instance,
whose tasks were registered for that app by ``init_app``. ``flask jsscripts worker`` is the
same consumer with sensible defaults; use this module when you want huey_consumer's options::

    FLASK_APP=myapp:create_app huey_consumer flask_jsscripts.consumer.huey -w 4 -d 0.01 -m 1
"""

from __future__ import annotations

import os

from flask.cli import ScriptInfo

app = ScriptInfo(app_import_path=os.environ.get("FLASK_APP")).load_app()
huey = app.extensions["jsscripts"].huey
