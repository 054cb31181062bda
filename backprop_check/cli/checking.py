"""What the commands that check a network share: building the checker, and the user's inputs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..judge.checker import Checker
    from ..report.presenter import Presenter
    from ..spec.config import Config

__all__ = ["build_checker", "deliver", "inputs_of", "show_explanation"]


def build_checker(
    config: Path,
    overrides: dict[str, object],
    *,
    impl: Path | None = None,
    max_memory: int | None = None,
    jobs: int | None = None,
) -> Checker:
    """The config at ``config`` with the command line's overrides, ready to check."""
    from ..errors import BackpropCheckError
    from ..judge.checker import Checker
    from ..numeric.engine import DEFAULT_MAX_MEMORY
    from ..spec.config import load_config

    loaded = load_config(config)
    user_code = None
    if impl is not None or loaded.impl is not None:  # the loader only where there is user code
        from ..judge.user_code import user_code_for

        # --impl overrides the config's impl.file; the conventions stay its impl: block's.
        user_code = user_code_for(loaded, impl)
    try:
        configured = loaded.with_overrides(**overrides)  # type: ignore[arg-type]
    except BackpropCheckError as error:
        raise error.with_option_names(flag_name) from None
    return Checker(
        configured,
        max_memory=max_memory or DEFAULT_MAX_MEMORY,
        jobs=jobs,
        user_code=user_code,
    )


def flag_name(key: str) -> str:
    """The command-line flag of the library's option ``key`` (batch_size → --batch-size)."""
    return "--" + key.replace("_", "-")


def inputs_of(checker: Checker) -> list[Path]:
    """Files the user gave, which no output may overwrite."""
    inputs = [Path(checker.config.source)]
    if checker.config.data is not None:
        inputs.append(checker.config.data.path)
    if checker.user_code is not None and checker.user_code.path is not None:
        inputs.append(checker.user_code.path)
    return inputs


def show_explanation(config: Config, presenter: Presenter) -> None:
    """The equations of each layer of ``config``'s network."""
    from ..judge.explain import explain

    presenter.explain(explain(config), source=config.source, loss=config.loss)


def deliver(
    presenter: Presenter,
    output_format: str,
    output: Path | None,
    *,
    show: Callable[[], None],
    document: Callable[[], str],
    protect: Iterable[Path] = (),
) -> None:
    """A report where --format and --output send it: the text view on the terminal, or the
    document on stdout; with --output, the document to that file and the text view on the
    terminal. The same for every command."""
    if output_format == "text" and output is None:
        show()
        return
    text = document()
    if output is None:
        presenter.raw(text)
        return
    from ..report.saving import write_text

    show()
    write_text(output, text, protect=protect)
