"""Errors a user can cause or meet, each with a pt-BR message and its exit code.

The CLI turns any of these into one clear message and the exit code below;
anything else reaching the top is a bug in labcheck.
"""

from __future__ import annotations

# Exit codes are part of the interface: instructors script around them.
EXIT_PASSED = 0
EXIT_STEP_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_CLUSTER_UNREADABLE = 4


class LabcheckError(Exception):
    """Base class: `str(error)` is the pt-BR message shown to the user."""

    exit_code = EXIT_USAGE


class UsageError(LabcheckError):
    exit_code = EXIT_USAGE


class InventoryError(LabcheckError):
    exit_code = EXIT_USAGE


class DefinitionError(LabcheckError):
    exit_code = EXIT_USAGE


class ModelError(LabcheckError):
    """Pacemaker XML that cannot be parsed (truncated, not a CIB, ...)."""

    exit_code = EXIT_USAGE


class NodeError(LabcheckError):
    """A node could not be reached or refused us; names the node and why."""

    exit_code = EXIT_UNREACHABLE

    def __init__(self, node: str, reason: str) -> None:
        super().__init__(f"{node}: {reason}")
        self.node = node
        self.reason = reason
