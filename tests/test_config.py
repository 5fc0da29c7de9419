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


def test_local_app_answers_only_to_loopback_host_names(make_app) -> None:  # type: ignore[no-untyped-def]
    """A loopback-only app refuses other Host names (DNS rebinding), in plain text and before any view runs."""
    client = make_app().test_client()
    assert client.get("/", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    refused = client.post("/api/sources", headers={"Host": "rebound.example"}, json={"text": "x", "story": "s"})
    assert refused.status_code == 400 and b"not trusted" in refused.data
    assert client.get("/", headers={"Host": "rebound.example"}).status_code == 400


def test_team_server_answers_any_host_unless_told(make_app) -> None:  # type: ignore[no-untyped-def]
    """Beyond loopback or behind a proxy any Host is served, unless TRUSTED_HOSTS names them."""
    assert make_app(HOST="0.0.0.0").test_client().get(  # noqa: S104 - the setting under test
        "/", headers={"Host": "intranet.example"}).status_code == 200
    assert make_app(PROXY_HOPS=1).test_client().get("/", headers={"Host": "intranet.example"}).status_code == 200
    pinned = make_app(HOST="0.0.0.0", TRUSTED_HOSTS="intranet.example").test_client()  # noqa: S104
    assert pinned.get("/", headers={"Host": "intranet.example"}).status_code == 200
    assert pinned.get("/", headers={"Host": "other.example"}).status_code == 400
