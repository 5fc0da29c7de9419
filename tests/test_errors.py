"""Domain errors carry causes, the web layer maps them to statuses once; one write-check decorator; one
``is_loopback``."""

from __future__ import annotations

import inspect
from typing import get_args

import pytest

from parallax import config
from parallax.sources import fetch, ingest
from parallax.web import add, editors, render


def test_domain_errors_carry_causes_not_statuses() -> None:
    """IngestError and FetchError say what went wrong (a cause name), never which HTTP status to answer."""
    ingest_error = ingest.IngestError("the file is too big", "too_large")
    fetch_error = fetch.FetchError("took too long", "timeout")
    assert (ingest_error.cause, fetch_error.cause) == ("too_large", "timeout")
    assert not hasattr(ingest_error, "status") and not hasattr(fetch_error, "status")
    for module in (ingest, fetch):
        source = inspect.getsource(module)
        # The fetched server's own status (response.status, http_status) is a fact about the page, not an answer.
        assert "status" not in source.replace("response.status", "").replace("http_status", "").replace(
            "st_mode", ""), module.__name__


def test_every_cause_has_one_status_in_the_web_layer() -> None:
    """Each cause of either module maps to exactly one HTTP status, and only the web layer holds the mapping."""
    causes = set(get_args(ingest.Cause)) | set(get_args(fetch.FetchCause))
    assert causes <= set(render.CAUSE_STATUS), causes - set(render.CAUSE_STATUS)
    assert all(400 <= status < 600 for status in render.CAUSE_STATUS.values())
    assert render.CAUSE_STATUS["duplicate"] == 409 and render.CAUSE_STATUS["timeout"] == 504
    assert render.CAUSE_STATUS["forbidden_address"] == 400 and render.CAUSE_STATUS["extraction_empty"] == 422
    assert render.status_of(ingest.IngestError("x", "too_large")) == 413


def test_add_views_use_one_write_decorator() -> None:
    """No CSRF or write check is pasted into the add views: they are all behind ``editor_write``."""
    source = inspect.getsource(add)
    assert "csrf_refusal(" not in source and "write_refusal(" not in source
    for view in (add.add_input, add.confirm_save, add.sign_out, add.api_add, add.sign_in):
        assert getattr(view, "editor_write", None) is not None, view.__name__


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("LOCALHOST", True), ("localhost.", True), (" localhost ", True),
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("::ffff:127.0.0.1", True),
    ("[::ffff:127.0.0.1]", True), ("0:0:0:0:0:0:0:1", True),
    ("0.0.0.0", False), ("::", False),  # noqa: S104 - a bind address under test, not bound ("[::]", False), ("10.0.0.1", False), ("192.168.1.1", False),
    ("example.com", False), ("localhost.example.com", False), ("my-laptop", False), ("", False),
    ("[::1", False), ("2001:db8::1", False), ("[2001:db8::1]", False),
])
def test_one_is_loopback(host: str, loopback: bool) -> None:
    """Host names, IPv4, IPv6 and bracketed IPv6: one answer, used for trusted hosts and for the editor token."""
    assert config.is_loopback(host) is loopback
    assert editors.is_loopback is config.is_loopback
    assert "LOOPBACK_HOSTS" not in inspect.getsource(editors)
