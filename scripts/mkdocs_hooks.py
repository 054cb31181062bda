"""mkdocs hooks for the documentation site.

- Before every `mkdocs build` or `mkdocs serve`, docs/cli.md is regenerated from bpcheck's click
  commands (scripts/gen_cli_reference.py), and the key reference of docs/config.md from the
  config's JSON Schema (scripts/gen_config_reference.py). Each is rewritten only when its text
  changes, so `mkdocs serve` does not rebuild in a loop.
- Stable anchors are written as `<a id="eq-2"></a>` before a heading, so that links such as
  docs/derivation.md#eq-2 work on the site and on GitHub alike. A heading whose own slug equals
  such an id would make it ambiguous; each page is checked, and a duplicate id is a warning, which
  fails `mkdocs build --strict`.
"""

from __future__ import annotations

import logging
import re
import runpy
from collections import Counter
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

_GENERATORS = {
    "cli.md": Path(__file__).resolve().parent / "gen_cli_reference.py",
    "config.md": Path(__file__).resolve().parent / "gen_config_reference.py",
}
_ID = re.compile(r"""\sid=["']([^"']+)["']""")
log = logging.getLogger("mkdocs.hooks.bpcheck")


def on_pre_build(config: Any, **_: Any) -> None:
    for page, script in _GENERATORS.items():
        generator = runpy.run_path(str(script))
        try:
            generator["write"](Path(config["docs_dir"]) / page)
        except Exception as error:  # a broken package must stop the build with a readable reason
            raise PluginError(f"cannot generate {page} ({script.name}): {error}") from error


def on_page_content(html: str, page: Any, **_: Any) -> str:
    counts = Counter(_ID.findall(html))
    for anchor, count in sorted(counts.items()):
        if count > 1:
            log.warning(
                f"{page.file.src_uri}: the id '{anchor}' is used {count} times; rename the heading "
                "or the anchor so that links to it are unambiguous."
            )
    return html
