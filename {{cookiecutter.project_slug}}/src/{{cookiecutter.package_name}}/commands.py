"""A command of the project CLI, declared once: its name, help, arguments and handler.

The handler is named as "module:function" inside this package and imported only when the
command runs, so `--help` and light commands start fast. A handler takes a Context and
returns a message to print (exit 0) or an exit code (it printed its own output).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from functools import cached_property
from importlib import import_module
from typing import Any

from .config import PACKAGE, Params, load_params


@dataclass(frozen=True)
class Argument:
    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


def argument(*flags: str, **options: Any) -> Argument:
    return Argument(flags, options)


@dataclass
class Context:
    """What a handler may use: the parsed arguments, and params.yaml loaded on first use."""

    args: argparse.Namespace

    @cached_property
    def params(self) -> Params:
        return load_params()


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    handler: str
    arguments: tuple[Argument, ...] = ()

    def add_to(self, commands: Any) -> None:
        parser = commands.add_parser(self.name, help=self.help, description=self.help)
        for spec in self.arguments:
            parser.add_argument(*spec.flags, **spec.options)

    def run(self, args: argparse.Namespace) -> int:
        module, _, function = self.handler.partition(":")
        outcome = getattr(import_module(f"{PACKAGE}.{module}"), function)(Context(args))
        if isinstance(outcome, int):
            return outcome
        print(outcome)
        return 0
