"""docs/configuration.md is generated from the settings' declarations: it fails here when
stale, and `payment-service settings --markdown` prints exactly it."""

from __future__ import annotations

from pathlib import Path

import payment_vendor_iamport.plugin
import payment_vendor_portone.plugin
import payment_vendor_toss.plugin

from payment_service.settings import Settings, variables
from payment_service.settings.reference import COMMAND, markdown
from payment_service.settings.schema import declared_fields
from payment_service.vendors import build_manager
from payment_service.vendors.plugins import declared_settings
from tests.support.cli import run_cli

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
SHIPPED = [payment_vendor_iamport.plugin, payment_vendor_portone.plugin, payment_vendor_toss.plugin]


def shipped_reference() -> str:
    declared = declared_settings(build_manager(load_entry_points=False, plugins=SHIPPED))
    return markdown(variables(), declared.values())


def test_the_reference_is_up_to_date():
    assert REFERENCE.read_text(encoding="utf-8") == shipped_reference(), (
        f"docs/configuration.md is stale: run `{COMMAND}`"
    )


def test_the_command_prints_the_reference_of_the_installed_plugins(tmp_path: Path):
    result = run_cli("settings", "--markdown", env={}, cwd=tmp_path)
    assert result.status == 0, result.stderr
    assert result.stdout == shipped_reference()


def test_every_variable_is_declared_once_and_documented():
    declared = declared_settings(build_manager(load_entry_points=False, plugins=SHIPPED))
    every = [*variables(), *(v for plugin in declared.values() for v in plugin.variables)]
    names = [variable.name for variable in every]
    assert len(names) == len(set(names))
    for variable in every:
        assert variable.name.startswith("PAYMENT_"), variable.name
        assert variable.doc and variable.topic and variable.roles, variable.name
        assert f"`{variable.name}`" in REFERENCE.read_text(encoding="utf-8")


def test_every_field_of_the_settings_is_declared():
    """Nothing is read outside the schema: each field but the raw environment is declared."""
    fields = {name for name in Settings.__dataclass_fields__ if name != "environ"}
    assert fields == {name for name, _ in declared_fields(Settings)}
