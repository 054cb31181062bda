"""Reports: plain data (``data``), files for machines and people (``formats``: JSON, JUnit,
Markdown, plain text), the rich terminal views (``presenter``), the sweep plot and array files."""
