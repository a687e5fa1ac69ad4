"""Reading the declared settings from the environment (and an optional `.env` file).

Every variable is read and every problem collected, so that a bad configuration is reported
at once, one problem per line, and an operator fixes it in one go.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from .schema import Context, Invalid, Variable

ENVIRONMENT, ENV_FILE, DEFAULT = "environment", ".env", "default"


class SettingsError(Exception):
    """The configuration is unusable; the message lists every problem, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            "invalid configuration:\n" + "\n".join(f"  - {problem}" for problem in problems)
        )


@dataclass(frozen=True)
class Sources:
    """The variables in effect, and where each came from (real variables win over `.env`)."""

    values: dict[str, str]
    origin: dict[str, str]

    @classmethod
    def gather(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Sources:
        values: dict[str, str] = {}
        origin: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            for name, value in dotenv_values(env_file).items():
                if value is not None:
                    values[name], origin[name] = value, ENV_FILE
        for name, value in (os.environ if environ is None else environ).items():
            values[name], origin[name] = value, ENVIRONMENT
        return cls(values, origin)

    def given(self, name: str) -> str | None:
        """The variable's text, None when unset or empty (empty means "the default")."""
        value = self.values.get(name)
        return None if value is None or value == "" else value

    def source(self, name: str) -> str:
        return self.origin[name] if self.given(name) is not None else DEFAULT


@dataclass
class Reader:
    """Reads variables for the declarations, collecting every problem instead of stopping."""

    sources: Sources
    mode: str = "local"
    problems: list[str] = field(default_factory=list)

    def text(self, name: str) -> str | None:
        return self.sources.given(name)

    def problem(self, name: str, message: str) -> None:
        self.problems.append(f"{name}: {message}")

    def read(self, variable: Variable) -> Any:
        """The parsed value, or the default (the mode's) when unset or invalid."""
        raw = self.text(variable.name)
        if raw is None:
            return variable.default_for(self.mode)
        try:
            return variable.parse(raw, Context(self.mode))
        except Invalid as error:
            for message in error.args:
                self.problem(variable.name, message)
            return variable.default_for(self.mode)
