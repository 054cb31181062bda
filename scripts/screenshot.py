"""Regenerate the pictures of bpcheck's output: the docs' failing run and the HTML report.

    python scripts/screenshot.py                      # docs/assets/failing-run.svg
    python scripts/screenshot.py --png docs/assets/html-report.png   # and the HTML report

The SVG is the terminal at 80 columns, exported by rich from the real command's coloured output
(run as a user runs it, in a subprocess). The PNG is the HTML report of the same run, rendered by
headless Chromium (Debian's `chromium` package); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "docs" / "assets" / "failing-run.svg"
# A failing --impl run: the user's phi_hidden forgets σ' (configs/my_backprop_typo.py).
COMMAND = ["run", "configs/softmax_cce.yaml", "--impl", "configs/my_backprop_typo.py"]
COLUMNS = 80


def _bpcheck(args: list[str], *, columns: int, colour: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("NO_COLOR" if colour else "FORCE_COLOR", None)
    env["FORCE_COLOR" if colour else "NO_COLOR"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "backprop_check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"bpcheck {' '.join(args)} failed:\n{done.stderr}")
    return done


def failing_run_svg(*, columns: int = COLUMNS) -> str:
    """The failing run's terminal output, prompt included, as rich's SVG export."""
    output = _bpcheck(COMMAND, columns=columns, colour=True).stdout
    console = Console(record=True, width=columns, file=io.StringIO(), force_terminal=True)
    console.print(Text("$ bpcheck " + " ".join(COMMAND), style="dim"), soft_wrap=True)
    console.print(Text.from_ansi(output.rstrip("\n")), soft_wrap=True)
    return console.export_svg(title="bpcheck")


def html_report_png(target: Path, *, size: tuple[int, int] = (1280, 2400)) -> None:
    """Screenshot of the failing run's HTML report in headless Chromium."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("no chromium on the PATH: apt-get install chromium")
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        _bpcheck([*COMMAND, "--format", "html", "--output", str(page)], columns=80, colour=False)
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                f"--user-data-dir={Path(folder) / 'profile'}",
                f"--window-size={size[0]},{size[1]}",
                f"--screenshot={target.resolve()}",
                page.as_uri(),
            ],
            capture_output=True,
            check=True,
            timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=SVG, help="where the terminal SVG goes")
    parser.add_argument("--png", type=Path, help="also screenshot the HTML report to this file")
    args = parser.parse_args()
    args.svg.parent.mkdir(parents=True, exist_ok=True)
    args.svg.write_text(failing_run_svg(), encoding="utf-8")
    print(f"wrote {args.svg}")
    if args.png is not None:
        html_report_png(args.png)
        print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
