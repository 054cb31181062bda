"""The view of ``bpcheck explain``: each layer's equations as an unboxed table."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..data.explain import ExplainedLayer

__all__ = ["show_explain"]


def show_explain(
    console: Console, layers: Sequence[ExplainedLayer], *, source: str, loss: str
) -> None:
    console.print(f"[bold]bpcheck explain[/] · {escape(source)} · loss {loss}", soft_wrap=True)
    for layer in layers:
        title = f"Layer {layer.layer} · {layer.units} units · {layer.activation} · {layer.role}"
        table = Table(
            title=title, title_justify="left", show_header=False, box=None, padding=(0, 1)
        )
        # Long formulas wrap within their column (never cut) on narrow terminals.
        table.add_column(justify="right", no_wrap=True)
        table.add_column(overflow="fold")
        table.add_column(style="dim", overflow="fold")
        table.add_column(justify="right", no_wrap=True)
        for line in layer.lines:
            table.add_row(line.symbol, f"= {line.formula}", f"({line.source})", line.shape)
        console.print(table)
