"""The `bpcheck` command: parse options, call the library, render, choose the exit status.

Exit status: 0 every gradient agreed, 1 some gradient disagreed, 2 bad usage, config or data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="bpcheck")
def main() -> None:
    """Check hand-written MLP backpropagation (the seed's Equations 1–4) against finite
    differences, layer by layer."""


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--eps", type=float, help="Finite-difference step (overrides check.eps).")
@click.option("--rtol", type=float, help="Relative tolerance (overrides check.rtol).")
@click.option("--atol", type=float, help="Absolute tolerance (overrides check.atol).")
@click.option("--seed", type=int, help="Random seed for weights and data (overrides seed).")
@click.option("--batch-size", type=int, help="Samples in the batch (overrides batch_size).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Rich tables for people, one JSON document for machines.",
)
@click.option(
    "--save-arrays",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write x, y, W, b, analytic dW/db and numeric nW/nb to this .npz file.",
)
def run(
    config: Path,
    eps: float | None,
    rtol: float | None,
    atol: float | None,
    seed: int | None,
    batch_size: int | None,
    output_format: str,
    save_arrays: Path | None,
) -> None:
    """Check the network described by CONFIG (a YAML file)."""
    from .checker import check
    from .errors import BackpropCheckError
    from .presenter import Presenter
    from .saving import save_arrays as write_arrays

    presenter = Presenter()
    try:
        report = check(config, eps=eps, rtol=rtol, atol=atol, seed=seed, batch_size=batch_size)
        if save_arrays is not None:
            write_arrays(report, save_arrays, protect=[config])
    except BackpropCheckError as error:
        presenter.error(str(error))
        sys.exit(EXIT_USAGE)
    if output_format == "json":
        presenter.json(report)
    else:
        presenter.table(report)
    sys.exit(EXIT_PASSED if report.passed else EXIT_FAILED)
