"""The rules of the extension, between the web/tasks/CLI layer and the models and runtime.

Each module is one concern: ``scripts`` (scripts and versions), ``validation``, ``executions``
(recording and running), ``broker`` (serving ``sdk.*`` calls). Services take the session and a
:class:`~flask_jsscripts.services.executions.RunContext`; they raise
:mod:`~flask_jsscripts.services.errors` for every refusal, never a bare exception.
"""
