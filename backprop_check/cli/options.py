"""Options shared by several commands, with their choices read from the library's own tables."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

import click

__all__ = [
    "ByteSize",
    "FormatChoice",
    "TableChoice",
    "checking_options",
    "output_options",
    "problem_options",
]


# The largest memory budget taken seriously, 1 PiB: beyond it a number is a typo, and the
# budget's arithmetic (divided among threads, into chunks) would leave machine integers.
_LARGEST = 2**50


class ByteSize(click.ParamType):
    """A memory size: bytes, or a number with K, M or G (binary units)."""

    name = "size"
    _UNITS: ClassVar[dict[str, int]] = {
        "": 1,
        "b": 1,
        "k": 2**10,
        "kb": 2**10,
        "m": 2**20,
        "mb": 2**20,
        "g": 2**30,
        "gb": 2**30,
    }

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower().replace("i", "")
        number = text.rstrip("kmgb")
        unit = text[len(number) :]
        try:
            size = float(number) * self._UNITS[unit]
        except (ValueError, KeyError):
            self.fail(f"{value!r} is not a size such as 512M or 2G.", param, ctx)
        if math.isnan(size):
            self.fail(f"{value!r} is not a size such as 512M or 2G.", param, ctx)
        if size > _LARGEST:
            self.fail(f"{value!r} is more than any machine has (at most 1P).", param, ctx)
        if size < 2**20:
            self.fail(f"{value!r} is below the smallest budget, 1M.", param, ctx)
        return int(size)


class TableChoice(click.Choice):
    """A choice among the keys of a library table, read when first needed.

    The table is the one the library checks against, so the command line offers exactly what the
    library accepts; reading it late keeps `bpcheck --help` from importing numpy.
    """

    def __init__(self, table: Callable[[], Iterable[str]]) -> None:
        self._table = table
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        return tuple(self._table())

    @choices.setter
    def choices(self, value: Iterable[str]) -> None:
        pass  # the library's table is the truth; click's own assignment is ignored


def _methods() -> Iterable[str]:
    from ..numeric.finite_differences import METHODS

    return METHODS


def _dtypes() -> Iterable[str]:
    from ..numeric.finite_differences import DTYPES

    return DTYPES


def _kink_policies() -> Iterable[str]:
    from ..numeric.finite_differences import KINK_POLICIES

    return KINK_POLICIES


class FormatChoice(click.Choice):
    """The report formats, the same names in every command; ``table``, the old name of ``text``,
    is still understood."""

    _ALIASES: ClassVar[dict[str, str]] = {"table": "text"}

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        return str(super().convert(self._ALIASES.get(str(value), value), param, ctx))


def output_options(*, formats: Iterable[str] | None = None) -> Callable[..., Any]:
    """``--format`` and ``--output``, meaning the same in every command.

    Without ``--output`` the report in ``--format`` goes to stdout; with it, to that file, and the
    terminal shows the text report. ``formats`` narrows the choices where a format has nothing to
    say (explain gives no verdict, so no JUnit).
    """
    from ..report.formats.names import FORMATS

    chosen = [name for name in FORMATS if formats is None or name in formats]
    help_text = "; ".join(f"{name}: {FORMATS[name]}" for name in chosen) + "."

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--output",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Write the --format report to this file (never over an input of the run); the "
            "terminal still shows the text report.",
        )(command)
        return click.option(
            "--format",
            "output_format",
            type=FormatChoice(chosen),
            default="text",
            show_default=True,
            help=help_text,
        )(command)

    return decorate


_PROBLEM_OPTIONS = (
    click.option("--eps", type=float, help="Finite-difference step (overrides check.eps)."),
    click.option("--rtol", type=float, help="Relative tolerance (overrides check.rtol)."),
    click.option("--atol", type=float, help="Absolute tolerance (overrides check.atol)."),
    click.option("--seed", type=int, help="Random seed for weights and data (overrides seed)."),
    click.option("--batch-size", type=int, help="Samples in the batch (overrides batch_size)."),
    click.option(
        "--method",
        type=TableChoice(_methods),
        help="Finite-difference method (overrides check.method; default central).",
    ),
    click.option(
        "--dtype",
        type=TableChoice(_dtypes),
        help="Precision of the network and the differences (overrides dtype; default float64).",
    ),
    click.option(
        "--kinks",
        type=TableChoice(_kink_policies),
        help="Elements whose step moves a ReLU across 0: judged again by one-sided differences "
        "(report, the default), and a tensor mostly unjudged fails (fail), or pass when the "
        "analytic value lies between the one-sided differences (bracket).",
    ),
)


def problem_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that override the config, shared by the commands that check a network."""
    for option in reversed(_PROBLEM_OPTIONS):
        command = option(command)
    return command


_CHECKING_OPTIONS = (
    click.option(
        "--sample", type=int, metavar="K", help="Check K elements per tensor, stratified."
    ),
    click.option(
        "--directions",
        type=int,
        metavar="K",
        help="Check K random directional derivatives per tensor; a failing tensor is then checked "
        "element by element.",
    ),
    click.option(
        "--max-memory",
        type=ByteSize(),
        default="512M",
        show_default=True,
        help="Memory budget for the batched finite differences.",
    ),
    click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        help="Threads for the finite differences [default: the CPUs the load leaves free, "
        "at most 4].",
    ),
)


def checking_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """How much to check and with what (--sample, --directions, --max-memory, --jobs), shared by
    run, sweep and watch."""
    for option in reversed(_CHECKING_OPTIONS):
        command = option(command)
    return command
