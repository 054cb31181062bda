"""Headless Chromium (Debian's package) for the HTML report's tests: a screenshot and the console.

No browser is downloaded: the tests skip, saying why, when no `chromium` is on the PATH (`.ci/run`
installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

# A hung browser is stopped, not waited for; rendering takes about a second.
_HANG = 120
_CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)")
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium() -> str:
    """The browser's path, or a skip that says how to get it."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium on the PATH: apt-get install chromium (.ci/run does) to render HTML")
    raise AssertionError  # unreachable: skip raises


@dataclass(frozen=True)
class Rendering:
    screenshot: Path
    console: list[str]  # every message the page wrote to the console (errors included)

    def pixels(self) -> np.ndarray:
        from PIL import Image

        with Image.open(self.screenshot) as image:
            return np.asarray(image.convert("RGB"))


def render(page: Path, screenshot: Path, *, size: tuple[int, int] = (1280, 2000)) -> Rendering:
    """Open ``page`` (a file) in headless Chromium; its screenshot and its console messages."""
    profile = screenshot.parent / f".{screenshot.stem}-profile"
    command = [
        chromium(),
        *_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={size[0]},{size[1]}",
        f"--screenshot={screenshot}",
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=_HANG, check=False)
    assert screenshot.exists(), done.stderr[-2000:]
    return Rendering(screenshot, _CONSOLE.findall(done.stderr))


def blank(pixels: np.ndarray) -> bool:
    """True when (nearly) every pixel is the background's colour: nothing was drawn."""
    background = pixels[0, 0]
    drawn = np.any(np.abs(pixels.astype(int) - background.astype(int)) > 24, axis=-1)
    return drawn.mean() < 0.01
