"""`bpcheck explain`, `sweep`, `watch`, `init` and `selftest`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import BackpropCheckError
from .app import Interrupted, Status, main
from .checking import build_checker, deliver, inputs_of, show_explanation
from .options import checking_options, output_options, problem_options

if TYPE_CHECKING:
    from ..report.data import ProgressEvent

__all__ = ["explain", "init", "schema", "selftest", "sweep", "watch"]


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@output_options(formats=("text", "json"))
def explain(config: Path, output_format: str, output: Path | None) -> Status:
    """Print the equations each layer of CONFIG's network is checked with."""
    from ..judge.explain import explain as explain_layers
    from ..report.formats import json_text
    from ..report.presenter import Presenter
    from ..spec.config import load_config

    loaded = load_config(config)
    presenter = Presenter()

    def document() -> str:
        if output_format == "json":
            layers = [layer.to_dict() for layer in explain_layers(loaded)]
            return json_text({"config": loaded.source, "layers": layers})
        return presenter.recorded(lambda plain: show_explanation(loaded, plain))

    deliver(
        presenter,
        output_format,
        output,
        show=lambda: show_explanation(loaded, presenter),
        document=document,
        protect=[config],
    )
    return Status.PASSED


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@problem_options
@checking_options
@click.option(
    "--plot",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the V as a PNG figure, eps growing to the right as in the terminal's chart "
    "(needs matplotlib: pip install 'backprop_check[plot]').",
)
@output_options()
def sweep(
    config: Path,
    plot: Path | None,
    output_format: str,
    output: Path | None,
    max_memory: int,
    jobs: int | None,
    **overrides: object,
) -> Status:
    """Run the check for eps from 1e-12 to 1e-1 and show the error against eps: the V.

    Recommends the eps at the bottom of the V, and tells a numerical failure (passes at some eps)
    from a real bug (passes at none). Exit status 0 when no row is a bug.
    """
    from ..judge.sweep import sweep as run_sweep
    from ..report.formats import sweep_document
    from ..report.presenter import Presenter
    from ..report.saving import refuse_inputs

    presenter = Presenter()
    if plot is not None:
        from ..report.plot import require_matplotlib

        require_matplotlib()  # before the sweep, not after minutes of it
    checker = build_checker(config, overrides, max_memory=max_memory, jobs=jobs)
    for path in (plot, output):
        if path is not None:
            refuse_inputs(path, inputs_of(checker))  # before the sweep, not after it
    started = time.perf_counter()
    with presenter.progress() as progress:
        steps = _Steps(progress)
        try:
            report = run_sweep(checker, progress=steps)
        except KeyboardInterrupt:
            raise Interrupted(
                f"Interrupted while sweeping {config}: {steps.done} of {steps.total} steps done."
            ) from None
    seconds = time.perf_counter() - started
    if plot is not None:
        from ..report.plot import write_sweep_plot

        write_sweep_plot(report, plot, protect=inputs_of(checker))
    deliver(
        presenter,
        output_format,
        output,
        show=lambda: presenter.sweep(report),
        document=lambda: sweep_document(report, output_format, seconds=seconds),
        protect=inputs_of(checker),
    )
    return Status.PASSED if report.passed else Status.FAILED


class _Steps:
    """The sweep's progress: counted for a Ctrl-C summary, and passed on to the bar if any."""

    def __init__(self, bar: Callable[[ProgressEvent], None] | None) -> None:
        from ..judge.sweep import DEFAULT_STEPS

        self.bar = bar
        self.done, self.total = 0, len(DEFAULT_STEPS)

    def __call__(self, event: ProgressEvent) -> None:
        self.done, self.total = event.completed, event.total
        if self.bar is not None:
            self.bar(event)


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--impl",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A Python file of your own equations to check (re-read at every save).",
)
@problem_options
@checking_options
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=0.5,
    show_default=True,
    metavar="SECONDS",
    help="How often to look for a save.",
)
def watch(
    config: Path,
    impl: Path | None,
    interval: float,
    max_memory: int,
    jobs: int | None,
    **overrides: object,
) -> Status:
    """Re-check CONFIG (and your --impl file, or the one its impl: names) every time you save
    either: edit, save, look.

    Errors in the config or in your code are shown and watching goes on. Ctrl-C stops.
    """
    from .. import watching
    from ..report.presenter import Presenter

    presenter = Presenter()
    paths = [config] + ([impl] if impl is not None else _impl_file(config))
    checks = 0

    def run_once() -> None:
        nonlocal checks
        presenter.clear()
        try:
            checker = build_checker(config, overrides, impl=impl, max_memory=max_memory, jobs=jobs)
            presenter.table(checker.run())
        except BackpropCheckError as error:
            presenter.error(str(error))
        checks += 1
        presenter.watching([str(path) for path in paths])

    for path in paths:
        if not path.exists():
            # Watching a file that is not there yet is allowed (it may be about to be saved),
            # but never silently.
            presenter.warning(
                f"waiting for {path}: it does not exist yet, and is checked as soon as it is "
                "saved (Ctrl-C to stop)."
            )
    try:
        watching.watch_files(paths, run_once, interval=interval)
    except KeyboardInterrupt:
        plural = "" if checks == 1 else "s"
        raise Interrupted(f"Stopped watching {config} after {checks} check{plural}.") from None
    return Status.PASSED


def _impl_file(config: Path) -> list[Path]:
    """The file a config's ``impl:`` block names, watched beside it; none when the config does
    not read yet (its own error is shown at the first check)."""
    from ..spec.config import load_config

    try:
        spec = load_config(config).impl
    except BackpropCheckError:
        return []
    return [spec.file] if spec is not None else []


@main.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), default="bpcheck.yaml")
@click.option("--force", is_flag=True, help="Overwrite PATH (and my_backprop.py) if they exist.")
@click.option(
    "--impl",
    "with_impl",
    is_flag=True,
    help="Also write my_backprop.py beside PATH: a backward(weights, biases, x, y) of your own, "
    "and the impl: block that checks it.",
)
def init(path: Path, force: bool, with_impl: bool) -> Status:
    """Write a commented starter config to PATH (default bpcheck.yaml); `bpcheck run` passes it.

    Also writes the config's JSON Schema next to it (bpcheck.schema.json, unless that file
    exists) and names it in the config's first line, so that editors complete and check keys.
    """
    import os
    from importlib.resources import files

    from ..report.presenter import Presenter
    from ..report.saving import write_text
    from ..spec.json_schema import SCHEMA_COMMENT, SCHEMA_FILE, schema_text

    templates = files("backprop_check").joinpath("templates")
    code = path.parent / "my_backprop.py"
    # lexists: a symlink counts as existing even when it points nowhere. Both are refused before
    # either is written, so a refusal leaves nothing half done.
    for target in (path, code) if with_impl else (path,):
        if os.path.lexists(target) and not force:
            raise BackpropCheckError(
                f"{target}: already exists; not overwritten. Use --force to replace it."
            )
    starter = templates.joinpath("starter.yaml").read_text(encoding="utf-8")
    if with_impl:
        starter += templates.joinpath("starter_impl.yaml").read_text(encoding="utf-8")
        backward = templates.joinpath("my_backprop.py").read_text(encoding="utf-8")
        write_text(code, backward.replace("bpcheck.yaml", path.name), what="your code",
                   follow_symlinks=False)  # fmt: skip
    # A new file at PATH itself: a symlink there is replaced, never followed.
    text = SCHEMA_COMMENT + "\n" + starter.replace("bpcheck.yaml", str(path))
    write_text(path, text, what="the config", follow_symlinks=False)
    presenter = Presenter()
    schema = path.parent / SCHEMA_FILE
    if os.path.lexists(schema):
        if not schema.is_file() or schema.read_text(encoding="utf-8") != schema_text():
            presenter.warning(
                f"{schema} exists and was left as it is; `bpcheck schema > {schema}` refreshes it."
            )
    else:
        write_text(schema, schema_text(), what="the schema", follow_symlinks=False)
    also = f" and {code}" if with_impl else ""
    presenter.raw(f"wrote {path}{also}; check it with: bpcheck run {path}\n")
    return Status.PASSED


@main.command()
def schema() -> Status:
    """Print the config's JSON Schema (draft 2020-12), for editors and validators."""
    from ..report.presenter import Presenter
    from ..spec.json_schema import schema_text

    Presenter().raw(schema_text())
    return Status.PASSED


@main.command()
@output_options()
def selftest(output_format: str, output: Path | None) -> Status:
    """Check the checker: run a zoo of wrong backpropagations (the derivation's printed typos and
    common slips) and show which row catches each. Exit 0 when the correct build passes and every
    mutant is caught."""
    from ..judge.selftest import run_selftest
    from ..report.formats import selftest_document
    from ..report.presenter import Presenter

    started = time.perf_counter()
    try:
        report = run_selftest()
    except KeyboardInterrupt:
        raise Interrupted(
            "Interrupted: bpcheck selftest stopped before every mutant had run; no verdict."
        ) from None
    seconds = time.perf_counter() - started
    presenter = Presenter()
    deliver(
        presenter,
        output_format,
        output,
        show=lambda: presenter.selftest(report),
        document=lambda: selftest_document(report, output_format, seconds=seconds),
    )
    return Status.PASSED if report.passed else Status.FAILED
