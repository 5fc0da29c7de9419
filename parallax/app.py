"""The application factory: settings, the app's own resources (corpus, caches), blueprints and middleware."""

from __future__ import annotations

import logging
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from parallax import __version__
from parallax.cache import make_cache
from parallax.catalogue import CataloguedStore
from parallax.config import load_settings, trusted_hosts
from parallax.corpus_store import CorpusMissing, require_folder
from parallax.engine import encoders
from parallax.index.vectors import SentenceVectors
from parallax.memo import Memo
from parallax.web import app_index, editors, register
from parallax.web.app_index import start_index_build
from parallax.web.ops import PrefixMiddleware


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build an app: settings from PARALLAX_* variables, then ``config`` overrides; routes and handlers."""
    app = Flask(__name__)  # templates/ and static/ live inside the package, so an installed copy has them
    settings = load_settings(overrides=config)
    require_folder(settings["CORPUS_DIR"])  # refused, never created: CorpusMissing says how to make one
    app.config.update(settings)
    app.config["SECRET_KEY"] = settings["SECRET_KEY"] or secrets.token_hex(32)
    app.config["VERSION"] = __version__
    app.config["TRUSTED_HOSTS"] = trusted_hosts(settings)  # refuse other Host names (DNS rebinding) when local
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.debug = False  # never the debugger or tracebacks, whatever FLASK_DEBUG says
    if settings["DATABASE_URL"]:  # the shared PostgreSQL store; derived files stay in the local corpus folder
        from parallax.store.serving import DatabaseCorpus
        app.extensions["parallax.corpus"] = DatabaseCorpus(settings["DATABASE_URL"], settings["CORPUS_DIR"],
                                                           settings["MAX_SOURCE_BYTES"])
    else:
        app.extensions["parallax.corpus"] = CataloguedStore(
            settings["CORPUS_DIR"], settings["MAX_SOURCE_BYTES"], settings["CORPUS_RESCAN_SECONDS"],
            settings["CORPUS_FULL_RESCAN_SECONDS"], settings["CORPUS_WATCH"])
    app.extensions["parallax.cache"] = make_cache(settings["CACHE_URL"], settings["CACHE_SIZE"],
                                                   settings["CACHE_TTL"])
    app.extensions["parallax.memo"] = Memo()  # derived data (story models, quotes), dropped with the app
    # Sentence vectors are kept beside the index: comparing stored sources embeds each sentence once, ever.
    encoders.set_store(SentenceVectors(Path(settings["CORPUS_DIR"]) / ".parallax" / "vectors.db"))
    app_index.attach(app)  # the search index, opened beside the corpus by the first use that needs it
    register(app)
    editors.init_app(app)
    if settings["URL_PREFIX"].strip("/"):  # served under a sub-path with no proxy to set SCRIPT_NAME
        app.wsgi_app = PrefixMiddleware(app.wsgi_app, settings["URL_PREFIX"])  # type: ignore[method-assign]
    if (hops := settings["PROXY_HOPS"]) > 0:  # trust X-Forwarded-For/Proto/Host/Prefix from that many proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops, x_prefix=hops)
    return app


def main(argv: list[str] | None = None) -> None:
    """Run the development server on the bundled corpus, printing the URL to open."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = create_app()
    except CorpusMissing as error:
        raise SystemExit(f"parallax: {error}") from None
    start_index_build(app)  # the search index is built or brought up to date in the background
    host, port = app.config["HOST"], app.config["PORT"]
    corpus = app.extensions["parallax.corpus"].get()
    print(f"Parallax {__version__}: {len(corpus.sources)} sources in {len(corpus.stories)} "
          f"{'story' if len(corpus.stories) == 1 else 'stories'} "
          f"from {app.config['CORPUS_DIR']}", file=sys.stderr)
    print(f"Open http://{host}:{port}/ in your browser (Ctrl+C to stop)", file=sys.stderr, flush=True)
    app.run(host=host, port=port, debug=False, use_reloader=False)

