"""Settings: defaults, environment overrides, and documentation that cannot drift."""

from __future__ import annotations

import pytest

from parallax.config import SETTINGS, load_settings, markdown_table
from tests.conftest import ROOT


def test_environment_overrides_defaults_and_overrides_win() -> None:
    """PARALLAX_* variables override defaults; explicit overrides (tests) override both."""
    values = load_settings({"PARALLAX_CORPUS_DIR": "/srv/corpus", "PARALLAX_COMPARE_TIME_BUDGET": "0.5",
                            "PARALLAX_FETCH_ALLOW_PRIVATE": "yes"}, {"PORT": 8123})
    assert values["CORPUS_DIR"] == "/srv/corpus" and values["COMPARE_TIME_BUDGET"] == 0.5
    assert values["FETCH_ALLOW_PRIVATE"] is True and values["PORT"] == 8123


def test_bad_environment_value_is_named() -> None:
    """A value of the wrong type fails with the variable's name."""
    with pytest.raises(ValueError, match="PARALLAX_PORT must be a number"):
        load_settings({"PARALLAX_PORT": "eighty"})


def test_every_setting_is_documented_in_the_readme() -> None:
    """The README's settings table is exactly the generated one."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "run `python -m parallax.config` and paste the table into README.md"
    assert all(f"PARALLAX_{s.name}" in readme and s.help for s in SETTINGS)
