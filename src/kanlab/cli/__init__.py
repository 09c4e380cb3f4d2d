"""The command line: ``kanlab train`` (argument parsing, the train job and its stages)."""
from kanlab.cli._main import build_parser, main

__all__ = ["main", "build_parser"]
