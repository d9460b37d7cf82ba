"""The version of gradsym, in one place (the package, the command line, run files and
reports read it)."""

__version__ = "0.1.0"
