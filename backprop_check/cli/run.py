"""`bpcheck run`: check one config or many, show the tables, write the machine-readable report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import BackpropCheckError
from .app import Interrupted, Status, main, status_of
from .checking import build_checker, inputs_of, show_explanation
from .options import checking_options, output_options, problem_options

if TYPE_CHECKING:
    from ..judge.checker import Checker
    from ..report.data import CheckReport, QuantityCheck, RunResult
    from ..report.presenter import Presenter

__all__ = ["run"]

# A full check expected to take longer than this gets a note suggesting a quicker mode.
_SLOW_SECONDS = 10.0
# Below this many elements a full check is quick; skip even the timing probe.
_SMALL_CHECK = 20_000


@main.command()
@click.argument("configs", nargs=-1, required=True)
@problem_options
@checking_options
@output_options()
@click.option(
    "-q", "--quiet", is_flag=True, help="One line per config and the totals last, no tables."
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
    "--heatmap",
    is_flag=True,
    help="Draw each failing tensor's element errors as a grid of glyphs (░ ▒ ▓ █, darker is "
    "worse), with a legend in numbers.",
)
def run(
    configs: tuple[str, ...],
    output_format: str,
    output: Path | None,
    quiet: bool,
    fail_fast: bool,
    save_arrays: Path | None,
    impl: Path | None,
    explain: bool,
    heatmap: bool,
    max_memory: int,
    jobs: int | None,
    **overrides: object,
) -> Status:
    """Check the networks described by CONFIGS: YAML files, folders of them, or globs.

    Exit status 0 when every gradient of every config agrees, 1 when some disagrees, 2 when a
    config (or its data, or your code) cannot be used; the other configs still run.
    """
    # numpy from this shallow frame, before the modules that use it: its import nests ten modules
    # deep, and begun inside theirs it crossed a 16 KB chunk of CPython's frame stack, which 3.11
    # and 3.12 unmap and map again at every call across it (python/cpython#142183): ~1300 munmap
    # calls, 25-30 ms of a json run on a 2-core VM.
    import numpy  # noqa: F401

    from ..report.presenter import Presenter
    from ..report.saving import refuse_inputs
    from ..spec.runs import collect_configs

    paths = collect_configs(configs)
    if save_arrays is not None and len(paths) > 1:
        raise BackpropCheckError("--save-arrays takes a single config; several were given.")
    presenter = Presenter()
    inputs = [*paths, *([impl] if impl is not None else [])]
    if output is not None:
        refuse_inputs(output, inputs)  # now, before the configs' own data files are known too
    # The terminal shows the text report unless stdout carries another format instead.
    terminal_text = output_format == "text" or output is not None
    session = _Session(
        presenter=presenter,
        inputs=inputs,
        overrides=overrides,
        impl=impl,
        max_memory=max_memory,
        jobs=_capped(jobs, presenter),
        save_arrays=save_arrays,
        show_tables=terminal_text and not quiet,
        explain=explain,
        heatmap=heatmap,
    )
    results = session.check_all(paths, fail_fast=fail_fast)
    if terminal_text and (quiet or len(paths) > 1):
        if session.show_tables:
            presenter.blank_line()
        presenter.summary(results)
    several = len(paths) > 1
    if output_format != "text" or output is not None:
        _deliver(results, output_format, output, presenter, session, several=several)
    _write_step_summary(results, presenter, protect=session.inputs)
    return status_of(results)


def _deliver(
    results: list[RunResult],
    output_format: str,
    output: Path | None,
    presenter: Presenter,
    session: _Session,
    *,
    several: bool,
) -> None:
    """The --format report to --output, or to stdout."""
    from ..report.formats import run_document
    from ..report.saving import write_text

    if output_format == "json" and not several and results[0].report is None:
        return  # a single unusable config: the error on stderr says it all
    text = run_document(results, output_format, several=several, heatmap=session.heatmap)
    if output is None:
        presenter.raw(text)
    else:
        write_text(output, text, protect=session.inputs)


@dataclass
class _Session:
    """One `bpcheck run`: the options every config is checked with, and how it is shown."""

    presenter: Presenter
    # Every file the run reads (configs, their data, --impl), which no output may overwrite.
    inputs: list[Path]
    overrides: dict[str, object]
    impl: Path | None
    max_memory: int
    jobs: int | None
    save_arrays: Path | None
    show_tables: bool
    explain: bool
    heatmap: bool

    def check_all(self, paths: list[Path], *, fail_fast: bool) -> list[RunResult]:
        results: list[RunResult] = []
        for path in paths:
            results.append(self._check_one(path, finished=results))
            if fail_fast and results[-1].status != "passed":
                break
        return results

    def _check_one(self, path: Path, *, finished: list[RunResult]) -> RunResult:
        """One config's result; its own errors are shown and the run goes on."""
        from ..report.data import RunResult

        checker = None
        started = time.perf_counter()
        try:
            checker = build_checker(
                path, self.overrides, impl=self.impl, max_memory=self.max_memory, jobs=self.jobs
            )
            self.inputs += inputs_of(checker)
            report = self._check(checker)
        except BackpropCheckError as error:
            if error.wrong_gradient:
                self.presenter.wrong_gradient(str(error))
            else:
                self.presenter.error(str(error))
            seconds = time.perf_counter() - started
            return RunResult(
                config=str(path),
                error=str(error),
                seconds=seconds,
                wrong_gradient=error.wrong_gradient,
            )
        except KeyboardInterrupt as stop:
            raise _interrupted(finished, path, checker, stop) from None
        seconds = time.perf_counter() - started
        if self.show_tables:
            if finished:
                self.presenter.blank_line()
            if self.explain:
                show_explanation(checker.config, self.presenter)
            self.presenter.table(report)
            if self.heatmap:
                self.presenter.heatmaps(report)
        return RunResult(config=str(path), report=report, seconds=seconds)

    def _check(self, checker: Checker) -> CheckReport:
        from ..report.saving import refuse_inputs, save_arrays

        if self.save_arrays is not None:
            refuse_inputs(self.save_arrays, self.inputs)  # before the check, not after it
        _warn_if_slow(checker, self.presenter)
        with self.presenter.progress() as progress:
            report = checker.run(progress=progress)
        if self.save_arrays is not None:
            save_arrays(report, self.save_arrays, protect=self.inputs)
        return report


def _capped(jobs: int | None, presenter: Presenter) -> int | None:
    """--jobs, at most one thread per CPU: more only queue up and split the memory budget."""
    from ..judge.budget import available_cpus

    cpus = available_cpus()
    if jobs is not None and jobs > cpus:
        presenter.warning(f"--jobs {jobs} is more than the {cpus} CPUs here; using {cpus}.")
        return cpus
    return jobs


def _interrupted(
    finished: list[RunResult], path: Path, checker: Checker | None, stop: KeyboardInterrupt
) -> Interrupted:
    """Ctrl-C during a config: what had been checked, of it and of the configs before it.

    The rows done come with the interrupt where the checker attaches them (``completed`` and
    ``total``), else from the checker's own ``completed``; before the check began, there are none.
    """
    from ..report.formats.sentences import interrupted_summary

    rows = getattr(stop, "completed", None)
    completed: list[QuantityCheck] = list(
        rows if rows is not None else getattr(checker, "completed", [])
    )
    total = getattr(stop, "total", None)
    if total is None:
        total = len(checker.targets) if checker is not None else 0
    return Interrupted(interrupted_summary(finished, str(path), completed, total))


def _write_step_summary(
    results: list[RunResult], presenter: Presenter, *, protect: list[Path]
) -> None:
    """The Markdown report added to a CI job's summary page (GitHub's GITHUB_STEP_SUMMARY)."""
    import os

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return
    from ..report.formats import to_markdown
    from ..report.saving import append_text

    try:
        append_text(summary, to_markdown(results), what="the step summary", protect=protect)
    except BackpropCheckError as error:
        # The run's verdict stands; a summary that cannot be written is worth a note, no more.
        presenter.warning(str(error))


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
