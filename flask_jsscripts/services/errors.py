"""What the services raise. Views, the CLI and tasks turn these into a 4xx, a message or a
dead letter; none of them is ever a 500."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: ``status`` is the HTTP status a view answers with."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """The row does not exist, or belongs to another tenant (the two look the same)."""

    status = 404


class PermissionDenied(ServiceError):
    status = 403


class ValidationError(ServiceError):
    """Bad input. ``errors`` maps a field name to its messages; ``line``/``column`` point into
    the source for syntax errors."""

    status = 422

    def __init__(
        self, errors: dict[str, list[str]], *, line: int | None = None, column: int | None = None
    ):
        first = next(
            (f"{field}: {msgs[0]}" for field, msgs in errors.items() if msgs), "invalid input"
        )
        super().__init__(first)
        self.errors = errors
        self.line = line
        self.column = column


class RunRefused(ServiceError):
    """A run was not started (disabled trigger, concurrency cap, inactive script)."""

    status = 429

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason
