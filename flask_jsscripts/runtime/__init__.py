"""The sandboxed JavaScript runtime. No Flask, no database: only processes, pipes and JSON.

from flask_jsscripts.runtime import Runtime, Limits
with Runtime(workers=2) as rt:
    res = rt.run("function main(ctx) { return ctx.input.a + 1 }", input={"a": 1},
                 limits=Limits(timeout=1.0))
    res.status, res.value        # "completed", 2
"""

from .errors import HostCallError, RuntimeClosedError, ScriptSyntaxError
from .exchange import Broker
from .limits import Limits
from .outcome import STATUSES, RunResult
from .pool import RuntimeBusyError
from .runtime import CompiledScript, Runtime

__all__ = [
    "STATUSES",
    "Broker",
    "CompiledScript",
    "HostCallError",
    "Limits",
    "Runtime",
    "RuntimeBusyError",
    "RuntimeClosedError",
    "RunResult",
    "ScriptSyntaxError",
]
