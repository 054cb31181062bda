"""The `bpcheck` command: parse options, call the library, render, choose the exit status.

Exit status: 0 every gradient agreed, 1 some gradient disagreed, 2 bad usage, config or data.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import click

from . import __version__

if TYPE_CHECKING:
    from .judge.checker import Checker
    from .report.data import QuantityCheck, RunResult
    from .report.presenter import Presenter
    from .spec.config import Config

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# The shell's convention for a program stopped by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="bpcheck")
def main() -> None:
    """Check hand-written MLP backpropagation (the seed's Equations 1–4) against finite
    differences, layer by layer."""


class _ByteSize(click.ParamType):
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
            size = int(float(number) * self._UNITS[unit])
        except (ValueError, KeyError):
            self.fail(f"{value!r} is not a size such as 512M or 2G.", param, ctx)
        if size < 2**20:
            self.fail(f"{value!r} is below the smallest budget, 1M.", param, ctx)
        return size


# The output choice of the commands that are not `run`: text for people, JSON for machines.
_TEXT_OR_JSON = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)

_PROBLEM_OPTIONS = (
    click.option("--eps", type=float, help="Finite-difference step (overrides check.eps)."),
    click.option("--rtol", type=float, help="Relative tolerance (overrides check.rtol)."),
    click.option("--atol", type=float, help="Absolute tolerance (overrides check.atol)."),
    click.option("--seed", type=int, help="Random seed for weights and data (overrides seed)."),
    click.option("--batch-size", type=int, help="Samples in the batch (overrides batch_size)."),
    click.option(
        "--method",
        type=click.Choice(["central", "forward", "complex-step", "richardson"]),
        help="Finite-difference method (overrides check.method; default central).",
    ),
    click.option(
        "--dtype",
        type=click.Choice(["float64", "float32"]),
        help="Precision of the network and the differences (overrides dtype; default float64).",
    ),
    click.option(
        "--kinks",
        type=click.Choice(["report", "fail", "bracket"]),
        help="Elements whose step moves a ReLU across 0: leave out of the verdict (report, the "
        "default), judge anyway (fail), or pass when the analytic value lies between the "
        "one-sided differences (bracket).",
    ),
)


def _problem_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options that override the config, shared by the commands that check a network."""
    for option in reversed(_PROBLEM_OPTIONS):
        command = option(command)
    return command


@main.command()
@click.argument("configs", nargs=-1, required=True)
@_problem_options
@click.option("--sample", type=int, metavar="K", help="Check K elements per tensor, stratified.")
@click.option(
    "--directions",
    type=int,
    metavar="K",
    help="Check K random directional derivatives per tensor; a failing tensor is then checked "
    "element by element.",
)
@click.option(
    "--max-memory",
    type=_ByteSize(),
    default="512M",
    show_default=True,
    help="Memory budget for the batched finite differences.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Threads for the finite differences [default: CPUs, at most 4].",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "junit", "markdown"]),
    default="table",
    show_default=True,
    help="Rich tables for people; one JSON document, JUnit XML or Markdown for machines.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the --format report (json, junit or markdown) to this file; the terminal still "
    "shows the tables.",
)
@click.option("--fail-fast", is_flag=True, help="Stop at the first config that fails.")
@click.option(
    "--save-arrays",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write x, y, W, b, analytic dW/db and numeric nW/nb to this .npz file.",
)
@click.option(
    "--impl",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A Python file of your own equations (hooks such as phi_hidden, grad_w) to check "
    "instead of the built-in ones.",
)
@click.option("--explain", is_flag=True, help="Print the equations used above the tables.")
@click.option(
    "--heatmap", is_flag=True, help="Draw each failing tensor's element errors as a coloured grid."
)
def run(
    configs: tuple[str, ...],
    output_format: str,
    output: Path | None,
    fail_fast: bool,
    save_arrays: Path | None,
    impl: Path | None,
    explain: bool,
    heatmap: bool,
    max_memory: int,
    jobs: int | None,
    **overrides: object,
) -> None:
    """Check the networks described by CONFIGS: YAML files, folders of them, or globs.

    Exit status 0 when every gradient of every config agrees, 1 when some disagrees, 2 when a
    config (or its data, or your code) cannot be used; the other configs still run.
    """
    from .errors import BackpropCheckError
    from .report.presenter import Presenter
    from .spec.runs import collect_configs

    presenter = Presenter()
    try:
        paths = collect_configs(configs)
        if save_arrays is not None and len(paths) > 1:
            raise BackpropCheckError("--save-arrays takes a single config; several were given.")
    except BackpropCheckError as error:
        presenter.error(str(error))
        sys.exit(EXIT_USAGE)
    # Tables go to the terminal unless stdout carries the machine-readable report instead.
    show_tables = output_format == "table" or output is not None
    results: list[RunResult] = []
    for path in paths:
        try:
            result, checker = _run_one(
                path, presenter, overrides, impl=impl, max_memory=max_memory, jobs=jobs,
                save_arrays=save_arrays,
            )  # fmt: skip
        except _InterruptedError as interrupted:
            presenter.interrupted(results, str(path), interrupted.completed, interrupted.total)
            sys.exit(EXIT_INTERRUPTED)
        results.append(result)
        if show_tables and result.report is not None and checker is not None:
            if explain:
                _explain(checker.config, presenter)
            presenter.table(result.report)
            if heatmap:
                presenter.heatmaps(result.report)
        if fail_fast and result.status != "passed":
            break
    if show_tables and len(paths) > 1:
        presenter.summary(results)
    _write_reports(
        results, presenter, output_format=output_format, output=output, several=len(paths) > 1
    )
    statuses = {result.status for result in results}
    sys.exit(
        EXIT_USAGE
        if "invalid" in statuses
        else EXIT_FAILED
        if "failed" in statuses
        else EXIT_PASSED
    )


def _run_one(
    path: Path,
    presenter: Presenter,
    overrides: dict[str, object],
    *,
    impl: Path | None,
    max_memory: int,
    jobs: int | None,
    save_arrays: Path | None,
) -> tuple[RunResult, Checker | None]:
    from .errors import BackpropCheckError
    from .report.data import RunResult
    from .report.saving import save_arrays as write_arrays

    checker = None
    try:
        checker = _checker(path, overrides, max_memory=max_memory, jobs=jobs, impl=impl)
        _warn_if_slow(checker, presenter)
        with presenter.progress() as progress:
            report = checker.run(progress=progress)
        if save_arrays is not None:
            write_arrays(report, save_arrays, protect=_inputs(checker))
    except BackpropCheckError as error:
        presenter.error(str(error))
        return RunResult(config=str(path), error=str(error)), None
    except KeyboardInterrupt:
        completed = list(getattr(checker, "completed", []))
        total = len(checker.targets) if checker is not None else 0
        raise _InterruptedError(completed, total) from None
    return RunResult(config=str(path), report=report), checker


class _InterruptedError(Exception):
    """Ctrl-C during a check, carrying the rows finished so far."""

    def __init__(self, completed: list[QuantityCheck], total: int) -> None:
        super().__init__("interrupted")
        self.completed = completed
        self.total = total


def _write_reports(
    results: list[RunResult],
    presenter: Presenter,
    *,
    output_format: str,
    output: Path | None,
    several: bool,
) -> None:
    """The machine-readable report on stdout or into --output, and the CI step summary."""
    import os

    text = _report_text(results, output_format, several=several)
    if text is not None:
        if output is None:
            presenter.raw(text)
        else:
            _write_text(output, text, presenter)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        from .report.formats import to_markdown

        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(to_markdown(results))
        except OSError as error:
            presenter.warning(f"{summary}: cannot append the step summary ({error.strerror}).")


def _report_text(results: list[RunResult], output_format: str, *, several: bool) -> str | None:
    if output_format == "table":
        return None
    if output_format == "json":
        from .report.data import runs_document

        if not several and results[0].report is None:
            return None  # a single unusable config: the error on stderr says it all
        document = runs_document(results, several=several)
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    from .report.formats import to_junit, to_markdown

    return to_junit(results) if output_format == "junit" else to_markdown(results)


def _write_text(path: Path, text: str, presenter: Presenter) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        presenter.error(f"{path}: cannot write the report ({error.strerror}).")
        sys.exit(EXIT_USAGE)


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@_TEXT_OR_JSON
def explain(config: Path, output_format: str) -> None:
    """Print the equations each layer of CONFIG's network is checked with."""
    from .errors import BackpropCheckError
    from .report.presenter import Presenter
    from .spec.config import load_config

    presenter = Presenter()
    try:
        loaded = load_config(config)
    except BackpropCheckError as error:
        presenter.error(str(error))
        sys.exit(EXIT_USAGE)
    if output_format == "json":
        from .judge.explain import explain as explain_layers

        presenter.json_document(
            {
                "config": loaded.source,
                "layers": [layer.to_dict() for layer in explain_layers(loaded)],
            }
        )
    else:
        _explain(loaded, presenter)


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@_problem_options
@click.option(
    "--plot",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the V as a PNG figure (needs matplotlib: pip install 'backprop_check[plot]').",
)
@_TEXT_OR_JSON
def sweep(config: Path, plot: Path | None, output_format: str, **overrides: object) -> None:
    """Run the check for eps from 1e-1 to 1e-12 and show the error against eps: the V.

    Recommends the eps at the bottom of the V, and tells a numerical failure (passes at some eps)
    from a real bug (passes at none). Exit status 0 when no row is a bug.
    """
    from .errors import BackpropCheckError
    from .judge.sweep import sweep as run_sweep
    from .report.presenter import Presenter

    presenter = Presenter()
    try:
        checker = _checker(config, overrides, max_memory=None, jobs=None, impl=None)
        with presenter.progress() as progress:
            report = run_sweep(checker, progress=progress)
        if plot is not None:
            from .report.plot import write_sweep_plot
            from .report.saving import refuse_inputs

            refuse_inputs(plot, _inputs(checker))
            write_sweep_plot(report, plot)
    except BackpropCheckError as error:
        presenter.error(str(error))
        sys.exit(EXIT_USAGE)
    if output_format == "json":
        presenter.json_document(report.to_dict())
    else:
        presenter.sweep(report)
    sys.exit(EXIT_PASSED if report.passed else EXIT_FAILED)


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--impl",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A Python file of your own equations to check (re-read at every save).",
)
@_problem_options
@click.option("--interval", type=click.FloatRange(min=0.05), default=0.5, show_default=True)
def watch(config: Path, impl: Path | None, interval: float, **overrides: object) -> None:
    """Re-check CONFIG (and your --impl file) every time you save either: edit, save, look.

    Errors in the config or in your code are shown and watching goes on. Ctrl-C stops.
    """
    from .errors import BackpropCheckError
    from .report.presenter import Presenter
    from .watching import watch_files

    presenter = Presenter()
    paths = [config] + ([impl] if impl is not None else [])

    def run_once() -> None:
        presenter.clear()
        try:
            checker = _checker(config, overrides, max_memory=None, jobs=None, impl=impl)
            presenter.table(checker.run())
        except BackpropCheckError as error:
            presenter.error(str(error))
        presenter.watching([str(path) for path in paths])

    try:
        watch_files(paths, run_once, interval=interval)
    except KeyboardInterrupt:
        sys.exit(EXIT_PASSED)


@main.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), default="bpcheck.yaml")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: Path, force: bool) -> None:
    """Write a commented starter config to PATH (default bpcheck.yaml); `bpcheck run` passes it."""
    from .report.presenter import Presenter

    presenter = Presenter()
    if path.exists() and not force:
        presenter.error(f"{path}: already exists; not overwritten. Use --force to replace it.")
        sys.exit(EXIT_USAGE)
    from importlib.resources import files

    starter = files("backprop_check").joinpath("templates/starter.yaml").read_text(encoding="utf-8")
    try:
        path.write_text(starter.replace("bpcheck.yaml", str(path)), encoding="utf-8")
    except OSError as error:
        presenter.error(f"{path}: cannot write the config ({error.strerror}).")
        sys.exit(EXIT_USAGE)
    presenter.raw(f"wrote {path}; check it with: bpcheck run {path}\n")


@main.command()
@_TEXT_OR_JSON
def selftest(output_format: str) -> None:
    """Check the checker: run a zoo of wrong backpropagations (the derivation's printed typos and
    common slips) and show which row catches each. Exit 0 when the correct build passes and every
    mutant is caught."""
    from .judge.selftest import run_selftest
    from .report.presenter import Presenter

    report = run_selftest()
    presenter = Presenter()
    if output_format == "json":
        presenter.json_document(report.to_dict())
    else:
        presenter.selftest(report)
    sys.exit(EXIT_PASSED if report.passed else EXIT_FAILED)


def _checker(
    config: Path,
    overrides: dict[str, object],
    *,
    max_memory: int | None,
    jobs: int | None,
    impl: Path | None,
) -> Checker:
    from .errors import BackpropCheckError
    from .judge.checker import DEFAULT_JOBS, Checker
    from .judge.hooks import load_user_code
    from .numeric.engine import DEFAULT_MAX_MEMORY
    from .spec.config import load_config

    user_code = load_user_code(impl) if impl is not None else None
    loaded = load_config(config)
    try:
        configured = loaded.with_overrides(**overrides)  # type: ignore[arg-type]
    except BackpropCheckError as error:
        raise error.with_option_names(_flag) from None
    return Checker(
        configured,
        max_memory=max_memory or DEFAULT_MAX_MEMORY,
        jobs=jobs or DEFAULT_JOBS,
        user_code=user_code,
    )


def _flag(key: str) -> str:
    """The command-line flag of the library's option ``key`` (batch_size → --batch-size)."""
    return "--" + key.replace("_", "-")


def _inputs(checker: Checker) -> list[Path]:
    """Files the user gave, which no output may overwrite."""
    inputs = [Path(checker.config.source)]
    if checker.config.data is not None:
        inputs.append(checker.config.data.path)
    if checker.user_code is not None:
        inputs.append(checker.user_code.path)
    return inputs


def _explain(config: Config, presenter: Presenter) -> None:
    from .judge.explain import explain as explain_layers

    presenter.explain(explain_layers(config), source=config.source, loss=config.loss)


# A full check expected to take longer than this gets a note suggesting a quicker mode.
_SLOW_SECONDS = 10.0
# Below this many elements a full check is quick; skip even the timing probe.
_SMALL_CHECK = 20_000


def _warn_if_slow(checker: Checker, presenter: Presenter) -> None:
    if checker.config.check.mode != "full":
        return
    elements = checker.element_count()
    if elements < _SMALL_CHECK:
        return
    seconds = checker.estimate_seconds()
    if seconds > _SLOW_SECONDS:
        presenter.warning(
            f"checking all {elements:,} elements one at a time will take about "
            f"{_duration(seconds)} here. For a quicker look, --sample 100 checks 100 elements "
            "per tensor, and --directions 8 checks 8 random directions per tensor."
        )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
