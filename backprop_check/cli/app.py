"""The `bpcheck` command group: exit statuses, and the one path every error takes to the user.

Commands return a :class:`Status`. A domain error (``BackpropCheckError``: a bad config, data
file, option or piece of user code) becomes :class:`BadInput`, Ctrl-C becomes :class:`Interrupted`;
both are ``click.ClickException``s that print through the presenter and carry their exit status.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

import click

from .._version import __version__
from ..errors import BackpropCheckError

if TYPE_CHECKING:
    from ..report.data import RunResult

__all__ = ["BadInput", "Interrupted", "Status", "WrongGradient", "main", "status_of"]


class Status(enum.IntEnum):
    """The exit status of every command."""

    PASSED = 0  # every gradient agreed (sweep: no row is a bug; selftest: every mutant caught)
    FAILED = 1  # some gradient disagreed
    USAGE = 2  # bad usage, config, data or code: one paragraph on stderr
    INTERRUPTED = 130  # Ctrl-C: the shell's convention, 128 + SIGINT


class BadInput(click.ClickException):
    """Something the user gave cannot be used: exit 2 with one paragraph on stderr."""

    exit_code = Status.USAGE

    def show(self, file: IO[Any] | None = None) -> None:
        from ..report.presenter import Presenter

        Presenter(stderr=file).error(self.message)


class WrongGradient(click.ClickException):
    """A wrong gradient found before any check ran (a formula's df): exit 1, said on stderr."""

    exit_code = Status.FAILED

    def show(self, file: IO[Any] | None = None) -> None:
        from ..report.presenter import Presenter

        Presenter(stderr=file).wrong_gradient(self.message)


class Interrupted(click.ClickException):
    """Ctrl-C: exit 130 with a summary of what was done."""

    exit_code = Status.INTERRUPTED

    def show(self, file: IO[Any] | None = None) -> None:
        from ..report.presenter import Presenter

        Presenter(stderr=file).interrupted(self.message)


class _Group(click.Group):
    """Turns what a command returns or raises into its exit status, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            status = super().invoke(ctx)
        except BackpropCheckError as error:
            if error.wrong_gradient:
                raise WrongGradient(str(error)) from None
            raise BadInput(str(error)) from None
        except KeyboardInterrupt:
            # Commands that know what they had done say so; this is for the rest.
            command = f"bpcheck {ctx.invoked_subcommand or ''}".rstrip()
            raise Interrupted(f"Interrupted: {command} stopped before it finished.") from None
        ctx.exit(int(status or Status.PASSED))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="bpcheck")
def main() -> None:
    """Check hand-written MLP backpropagation (Equations 1–4, docs/derivation.md#equations)
    against finite differences, layer by layer."""


def status_of(results: Iterable[RunResult]) -> Status:
    """2 if any config could not be used, else 1 if any gradient disagreed, else 0."""
    statuses = {result.status for result in results}
    if "invalid" in statuses:
        return Status.USAGE
    return Status.FAILED if "failed" in statuses else Status.PASSED
