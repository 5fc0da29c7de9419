"""The OpenAPI description: complete, merged with other blueprints' paths, and true to the app."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings

from parallax.app import create_app
from parallax.web import openapi

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED = {"/index.json", "/sources/{id}.json", "/compare/{left}/{right}.json", "/-/health.json"}


def spec(app: Flask) -> dict[str, Any]:
    """The served OpenAPI document."""
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    data: dict[str, Any] = response.get_json()
    return data


def test_documents_every_json_twin(app: Flask) -> None:
    document = spec(app)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) >= DOCUMENTED
    compare = document["paths"]["/compare/{left}/{right}.json"]["get"]
    assert {p["name"] for p in compare["parameters"]} == {"left", "right", "view", "unit", "ignore", "focus", "kind",
                                                            "page"}
    assert set(compare["responses"]) == {"200", "400", "404"}
    row = document["components"]["schemas"]["Row"]["properties"]
    assert sorted(row["kind"]["enum"]) == sorted(["same", "changed", "reworded", "moved", "left_only", "right_only"])
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["ok", "status", "error"]


def test_merges_other_blueprints_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("fake_blueprint")
    fake.OPENAPI_PATHS = {"/stories/{slug}.json": {"get": {"responses": {"200": {"description": "ok"}}}}}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_blueprint", fake)
    document = openapi.build("x", "/", ("fake_blueprint", "no_such_module_here"))
    assert "/stories/{slug}.json" in document["paths"] and set(document["paths"]) >= DOCUMENTED


def test_real_blueprints_declarations_are_merged(app: Flask) -> None:
    import importlib

    document = spec(app)
    for name in openapi.EXTRA_MODULES:
        declared = getattr(importlib.import_module(name), "OPENAPI_PATHS", {})
        assert set(declared) <= set(document["paths"])


def test_server_url_honours_prefix(make_app: Any) -> None:
    app = make_app(URL_PREFIX="/parallax")
    document = app.test_client().get("/parallax/openapi.json").get_json()
    assert document["servers"] == [{"url": "http://localhost/parallax"}]


def sample(path: str) -> str:
    """A concrete URL for a documented GET path, using real ids."""
    return path.replace("{id}", "press-tv").replace("{left}", "press-tv").replace("{right}", "the-national")


def test_every_documented_get_answers_with_a_documented_status(app: Flask) -> None:
    document = spec(app)
    client = app.test_client()
    for path, item in document["paths"].items():
        if "get" not in item or ("{" in sample(path)):
            continue
        response = client.get(sample(path))
        assert str(response.status_code) in item["get"]["responses"], path
        media = set(item["get"]["responses"][str(response.status_code)].get("content", {}))
        assert response.mimetype in media, path
        assert response.is_json == (response.mimetype == "application/json")


def test_documented_errors_use_the_error_shape(app: Flask) -> None:
    client = app.test_client()
    for url, status in (("/sources/nope.json", 404), ("/compare/rt/nope.json", 404),
                        ("/compare/rt/press-tv.json?view=zig", 400), ("/compare/rt/press-tv.json?ignore=x", 400)):
        response = client.get(url)
        assert response.status_code == status
        body = response.get_json()
        assert body["ok"] is False and body["status"] == status and isinstance(body["error"], str)


schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in requirements-dev.txt (make test)")
served = create_app({"CORPUS_DIR": str(ROOT / "corpus"), "CORPUS_RESCAN_SECONDS": 60})
schema = schemathesis.openapi.from_wsgi("/openapi.json", served)


# /search.json takes a free-text query language that no JSON Schema can describe exactly (which strings have
# words, balanced quotes, long-enough prefixes): tests/test_search.py checks its 200/400 answers instead.
@schema.include(method="GET", path_regex=r"\.json$").exclude(path="/openapi.json").exclude(
    path="/search.json").parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_description(case: Any) -> None:
    case.call_and_validate()


def validate(document: dict[str, Any], schema: dict[str, Any], body: Any) -> list[str]:
    """Every way ``body`` breaks ``schema`` (references resolved against the whole document)."""
    import jsonschema_rs

    validator = jsonschema_rs.validator_for({**schema, "components": document["components"]})
    return [f"{'/'.join(map(str, error.instance_path))}: {error.message}" for error in validator.iter_errors(body)]


#: Query strings that documented GETs need to answer 200 (a search needs words to look for).
REQUIRED_QUERY = {"/search.json": "?q=peskov", "/api/suggest-story": "?text=Kim+Jong+Un+arrived+in+Russia+by+train"}


def test_every_json_twin_matches_its_schema_exactly(app: Flask) -> None:
    """Each documented JSON GET, path parameters filled with real ids, validates against its 200 schema.

    Objects are closed (``additionalProperties: false``), so a field the description lacks fails here too.
    """
    from parallax.sources import state  # the watch page's twin needs one watch

    with state.opened(state.db_path(app.config["CORPUS_DIR"])) as conn:
        state.add_watch(conn, "kim-putin-2023", "article", "https://news.example/a", 600)
    document = spec(app)
    client = app.test_client()
    checked = []
    for path, item in document["paths"].items():
        operation = item.get("get")
        content = (operation or {}).get("responses", {}).get("200", {}).get("content", {})
        if "application/json" not in content or path == "/openapi.json":
            continue
        url = sample(path).replace("{story}", "kim-putin-2023").replace("{watch_id}", "1")
        url += REQUIRED_QUERY.get(path, "")
        assert "{" not in url, f"no sample value for a parameter of {path}"
        response = client.get(url)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
        errors = validate(document, content["application/json"]["schema"], response.get_json())
        assert errors == [], (path, errors[:5])
        checked.append(path)
    assert {"/stories/{story}.json", "/compare/{left}/{right}.json", "/index.json"} <= set(checked)


def test_schema_validation_can_fail(app: Flask) -> None:
    document = spec(app)
    body = app.test_client().get("/compare/press-tv/the-national.json").get_json()
    body["rows"][0]["unexpected"] = 1
    body["rows"][1]["kind"] = "rewritten"
    schema = document["paths"]["/compare/{left}/{right}.json"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    errors = validate(document, schema, body)
    assert any("unexpected" in e for e in errors) and any("rewritten" in e for e in errors)
