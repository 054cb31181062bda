"""The version, in one place: the package, `bpcheck --version` and reports read it."""

__version__ = "0.1.0"
