"""The checks: pure functions of `LabFacts` that say whether one step was done.

Exercises (labs/exerciseN.yaml) name a check and give its parameters; the grader calls
it only when the facts it `needs` were read. A check returns an `Outcome` with a pt-BR
message and, where it knows better than the step's generic hint, a specific hint.
One module per exercise; importing this package registers them all in CHECKS.
"""

from checker.checks import (  # noqa: F401  (register)
    agent,
    cluster,
    database,
    fencing,
    lab,
    remote,
    vm,
    web,
)
from checker.checks.base import CHECKS, CheckSpec, Outcome, Params, Status

__all__ = ["CHECKS", "CheckSpec", "Outcome", "Params", "Status"]
