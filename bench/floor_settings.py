"""The floor server: the same production settings as bench.settings, but bare.

No DRF, no authentication, no session/CSRF/locale/request-context middleware: only the URLs of
bench/urls.py (bench/floor.py views, which run the same SQL as the API). Same gunicorn config.
"""

from bench.settings import *  # noqa: F403

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.urls"
