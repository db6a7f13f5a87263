"""Exceptions raised by the runtime to its Python callers."""

from __future__ import annotations


class RuntimeClosedError(RuntimeError):
    """The runtime was closed; no more scripts can run on it."""


class ScriptSyntaxError(ValueError):
    """The source does not parse. ``line`` and ``column`` are 1-based, in the author's source."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{self.message} ({where})"

    def __reduce__(self):  # keeps line/column when pickled (Huey, multiprocessing)
        return (type(self), (self.message, self.line, self.column))


class HostCallError(Exception):
    """Raised by a broker to give the script a clean error: ``err.code`` and ``err.message``
    reach JavaScript as they are, so they must not carry secrets or internals."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
