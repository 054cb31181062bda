"""The view of ``bpcheck selftest``: the correct build's verdict, which row caught each mutant."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..data.selftest import SelftestReport

__all__ = ["show_selftest"]


def show_selftest(console: Console, report: SelftestReport) -> None:
    verdict = "[green]passes[/]" if report.correct_passed else "[bold red]FAILS[/]"
    console.print(f"[bold]bpcheck selftest[/] · the correct build {verdict} on every network")
    for failure in report.correct_failures:
        console.print(f"  [red]{escape(failure)}[/]", soft_wrap=True)
    table = Table(
        title="wrong backpropagations and whether the check caught them", title_justify="left"
    )
    for header in ("mutant", "from", "mistake", "caught by"):
        table.add_column(header)
    table.add_column("max rel err", justify="right")
    table.add_column("result")
    for result in report.results:
        table.add_row(
            result.name,
            result.origin,
            escape(result.explanation),
            result.row or "—",
            f"{result.error:.1e}" if result.row else "—",
            "[green]caught[/]" if result.caught else "[bold red]MISSED[/]",
        )
    console.print(table)
    for result in report.results:
        if result.why_not:
            console.print(
                f"{result.name}: not catchable on the usual networks: {escape(result.why_not)}.",
                soft_wrap=True,
            )
    caught = sum(result.caught for result in report.results)
    status = "[bold green]PASSED[/]" if report.passed else "[bold red]FAILED[/]"
    console.print(f"{status}: {caught} of {len(report.results)} mutants caught.")
