"""Per-run limits. Plain data: the services layer fills them from config and script settings."""

from __future__ import annotations

from dataclasses import dataclass, replace

# A sandbox worker is replaced after this many runs: its memory stays flat, and each
# replacement costs CPU at a moment of load.
MAX_RUNS_PER_WORKER = 50_000


@dataclass(frozen=True)
class Limits:
    """What one run may use. Every field has a sane default; ``validate`` rejects nonsense."""

    timeout: float = 30.0  # seconds of wall time, host calls included
    memory_mb: int = 64  # address space the run may add to its worker
    output_bytes: int = 1_048_576  # size of the JSON result (characters of JSON text)
    console_entries: int = 1000  # console/sdk.log entries kept; more are counted as dropped
    console_bytes: int = 262_144  # total characters of console messages (and sdk.log meta) kept
    host_calls: int = 1000  # sdk.* calls that reach the host
    # JSON values in one value handed to the host (the result, an sdk.log meta, an sdk call's
    # arguments): the host builds each as a Python object
    output_elements: int = 100_000

    def validate(self) -> Limits:
        checks = {
            "timeout": 0 < self.timeout <= 3600,
            "memory_mb": 8 <= self.memory_mb <= 16_384,
            "output_bytes": 16 <= self.output_bytes <= 256 * 1_048_576,
            "console_entries": 0 <= self.console_entries <= 1_000_000,
            "console_bytes": 0 <= self.console_bytes <= 64 * 1_048_576,
            "host_calls": 0 <= self.host_calls <= 1_000_000,
            "output_elements": 1 <= self.output_elements <= 100_000_000,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid limits: {', '.join(bad)} out of range")
        return self

    def replace(self, **changes: object) -> Limits:
        return replace(self, **changes).validate()

    def to_shim(self) -> dict[str, int]:
        """The subset the in-sandbox shim enforces, in its own key names."""
        return {
            "outputBytes": self.output_bytes,
            "consoleEntries": self.console_entries,
            "consoleBytes": self.console_bytes,
            "hostCalls": self.host_calls,
        }
