"""Adding sources: paste, upload or fetch, confirm, save."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("add", __name__)
