"""The OpenAPI description: complete, merged with other blueprints' paths, and true to the app."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings

from parallax import __version__
from parallax.web import openapi

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


def test_file_and_search_errors_answer_as_documented(app: Flask) -> None:
    """CSV downloads, the kept page and the search twin answer errors in the JSON error shape; HTML pages and the
    HTML export answer an HTML page; each as the description of that status says."""
    document = spec(app)
    client = app.test_client()
    cases = (("/compare/rt/nope/export.csv", "/compare/{left}/{right}/export.csv", 404),
             ("/compare/rt/press-tv/export.csv?unit=x", "/compare/{left}/{right}/export.csv", 400),
             ("/compare/rt/nope/export.html", "/compare/{left}/{right}/export.html", 404),
             ("/stories/nope/export.csv", "/stories/{story}/export.csv", 404),
             ("/stories/kim-putin-2023/export.csv?order=x", "/stories/{story}/export.csv", 400),
             ("/stories/nope", "/stories/{story}", 404), ("/stories/kim-putin-2023?base=x", "/stories/{story}", 400),
             ("/sources/rt/original-page", "/sources/{source_id}/original-page", 404),
             ("/sources/nope/original-page", "/sources/{source_id}/original-page", 404),
             ("/search.json?q=&to=0000", "/search.json", 400), ("/search.json?q=%22kim", "/search.json", 400))
    for url, path, status in cases:
        response = client.get(url)
        assert response.status_code == status, url
        documented = document["paths"][path]["get"]["responses"][str(status)]["content"]
        assert list(documented) == [response.mimetype], url
        if response.is_json:
            assert validate(document, documented["application/json"]["schema"], response.get_json()) == [], url
            assert set(response.get_json()) >= {"ok", "status", "error"}, url


def test_documented_errors_use_the_error_shape(app: Flask) -> None:
    client = app.test_client()
    for url, status in (("/sources/nope.json", 404), ("/compare/rt/nope.json", 404),
                        ("/compare/rt/press-tv.json?view=zig", 400), ("/compare/rt/press-tv.json?ignore=x", 400)):
        response = client.get(url)
        assert response.status_code == status
        body = response.get_json()
        assert body["ok"] is False and body["status"] == status and isinstance(body["error"], str)


schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in requirements-dev.txt (make test)")
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402  (registers the OpenAPI checks)

#: Every check schemathesis has for single requests. Left out: the four that follow resources across requests
#: (use_after_free, ensure_resource_availability, ignored_auth, object_level_authorization): they need its stateful
#: runner, and writes here need no token on loopback.
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
          "response_schema_conformance", "negative_data_rejection", "missing_required_header", "unsupported_method",
          "allow_header_conformance")
#: A page the stubbed fetch answers every URL with (no test reaches the network).
ARTICLE = ("<html><head><title>Kim arrives in Russia</title></head><body><article><h1>Kim arrives in Russia</h1><p>"
           + "North Korean leader Kim Jong Un arrived in Russia by armoured train for talks with Vladimir Putin. " * 6
           + "</p></article></body></html>").encode()


#: The description the fuzzing is generated from, loaded at import (schemathesis makes one test per operation when
#: the module loads) from the function that serves it, with no app and no corpus; ``fuzzed_app`` checks that its app
#: serves this very document.
DESCRIPTION = openapi.build(__version__, "http://localhost")
fuzzed = schemathesis.openapi.from_dict(DESCRIPTION)


@pytest.fixture()
def fuzzed_app(add_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Flask:
    """An app on the test's own copy of the corpus (its writes never reach corpus/ or another test), whose every
    fetched URL answers one fixed article page (no test reaches the network)."""
    from parallax.sources import fetch

    monkeypatch.setattr(fetch, "fetch", lambda url, **_: fetch.Page(url, "text/html", "utf-8", ARTICLE))
    app = add_app()
    assert spec(app) == DESCRIPTION
    return app


def foreseen(case: Any, response: Any) -> bool:
    """Whether a refusal of a request the schema allows depends on what no JSON Schema can state.

    Each is a documented 400/422 naming its cause: the search query language (which strings hold a word to look for,
    closed quotes, prefixes of two letters: the parser decides), the overview's ``base`` (one of that story's
    sources, listed in ``allowed``), an HTML page in which no article text is found, fields that must name what
    exists (a note's sources of one story and changed row, the source a new version follows) or compile (a rule's
    regular expression), an alert URL that apprise cannot send to, and a URL to fetch or watch that is no URI at all
    (JSON Schema names the "uri" format but does not check it).
    """
    from parallax.index.query import QueryError, parse_query

    body = response.json() if response.headers.get("content-type", [""])[0].startswith("application/json") else {}
    path = case.operation.path
    if path == "/search.json" and response.status_code == 400:
        try:
            parse_query(str((case.query or {}).get("q", "")))
        except QueryError:
            return True
    if path.startswith("/stories/{story}") and response.status_code == 400:
        return body.get("option") == "base"
    if response.status_code == 400 and body.get("field") in FORESEEN_FIELDS.get(path, ()):
        return True
    if response.status_code == 400 and body.get("field") == "url":  # "format": "uri" is named, never asserted
        sent = str((case.body if isinstance(case.body, dict) else {}).get("url", ""))
        return re.fullmatch(r"[!-~]+", sent.strip()) is None  # not a URI: whitespace or non-ASCII inside
    if path == "/api/stories/{story}/channels" and response.status_code == 400:
        return str(body.get("error", "")).startswith("apprise does not know")
    return response.status_code == 422 and body.get("cause") in ("extraction_empty", "extraction_failed")


#: Fields of writes whose values must name something that exists, or compile.
FORESEEN_FIELDS = {"/api/notes": ("left", "right", "row", "rule"), "/api/stories/{story}/rules": ("pattern",),
                   "/api/sources": ("version_of",)}


def accepts_valid_requests(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's positive_data_acceptance, except for the refusals ``foreseen`` names."""
    if foreseen(case, response):
        return None
    return positive_data_acceptance(ctx, response, case)


# Every operation, GET and writes alike, with valid and invalid inputs; a fixed seed and derandomized
# generation keep the run the same each time and under a minute.
@fuzzed.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_description(case: Any, fuzzed_app: Flask) -> None:
    from schemathesis.checks import CHECKS as REGISTERED

    checks = [check for check in REGISTERED.get_all() if check.__name__ in CHECKS]
    case.call_and_validate(app=fuzzed_app, checks=[*checks, accepts_valid_requests])


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
