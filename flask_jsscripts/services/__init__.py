"""The rules of the extension, between the web/tasks/CLI layer and the models and runtime.

Each module is one concern: ``scripts`` (scripts and versions), ``validation``, ``executions``
(recording and running), ``events`` and ``outbox`` (domain events), ``endpoints`` (HTTP
endpoints), ``broker`` (serving ``sdk.*`` calls). Services take the session and a
:class:`~flask_jsscripts.services.context.RunContext`; they raise
:mod:`~flask_jsscripts.services.errors` for every refusal, never a bare exception. None of them
imports Flask: what they need of the app travels in the RunContext.
"""
