"""Connection URLs: the embedded ``autovec:///dir`` and pytidb's ``mysql+pymysql://`` ones.

An ``autovec://`` URL's "database" part is the data *directory*; the SQL database it
selects is the ``?database=`` query parameter (default ``test``). Everything here hides
that difference from the client (``use_database``, ``ensure_db``).
"""

from __future__ import annotations

import os
import re

from sqlalchemy.engine import URL, make_url

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_DATA_DIR",
    "TIDB_SERVERLESS_HOST_PATTERN",
    "build_tidb_url",
    "database_of",
    "embedded_url",
    "is_embedded",
    "is_serverless",
    "parse_url",
    "with_database",
    "without_database",
]

#: ``TiDBClient.connect()`` with no arguments opens this data directory.
DEFAULT_DATA_DIR = "./data"
DEFAULT_DATABASE = "test"

#: TiDB Cloud Starter gateways (TLS is required; indexes add columnar replicas on demand).
TIDB_SERVERLESS_HOST_PATTERN = re.compile(
    r"gateway\d{2}\.(.+)\.(prod|dev|staging)\.(shared\.)?(aws|alicloud)\.tidbcloud\.com"
)

_SSL_QUERY = {"ssl_verify_cert": "true", "ssl_verify_identity": "true"}


def parse_url(url: str | URL) -> URL:
    return make_url(url)


def is_embedded(url: URL) -> bool:
    return url.get_backend_name() == "autovec"


def is_serverless(url: URL) -> bool:
    return bool(url.host and TIDB_SERVERLESS_HOST_PATTERN.match(url.host))


def build_tidb_url(
    host: str = "localhost",
    port: int = 4000,
    username: str = "root",
    password: str = "",
    database: str | None = DEFAULT_DATABASE,
    enable_ssl: bool | None = None,
) -> URL:
    """pytidb's ``mysql+pymysql://user:pass@host:port/db``; TLS verified on TiDB Cloud hosts.

    ``enable_ssl=None`` switches TLS on exactly for hosts matching
    :data:`TIDB_SERVERLESS_HOST_PATTERN`.
    """
    if enable_ssl is None:
        enable_ssl = bool(host and TIDB_SERVERLESS_HOST_PATTERN.match(host))
    return URL.create(
        "mysql+pymysql",
        username=username or None,
        password=password or None,
        host=host,
        port=port,
        database=database or None,
        query=_SSL_QUERY if enable_ssl else {},
    )


def embedded_url(path: str | os.PathLike[str], database: str | None = None) -> URL:
    """``autovec:////abs/path?database=…``: a relative path is taken from the current
    directory now, not when the engine first connects (a program may chdir meanwhile)."""
    query = {"database": database} if database else {}
    location = os.fspath(path)
    if location != ":memory:":
        location = os.path.abspath(location)
    return URL.create("autovec", database=location, query=query)


def database_of(url: URL) -> str | None:
    """The SQL database a URL selects."""
    if is_embedded(url):
        value = url.query.get("database", DEFAULT_DATABASE)
        return value if isinstance(value, str) else value[0]
    return url.database


def with_database(url: URL, database: str) -> URL:
    """The same server (or data directory) with another database selected."""
    if is_embedded(url):
        return url.update_query_dict({"database": database})
    return url.set(database=database)


def without_database(url: URL) -> URL:
    """A URL that selects no database (to create the one the client is told to use).

    The embedded engine always has ``test``; its URL simply stops naming another.
    """
    if is_embedded(url):
        return url.difference_update_query(["database"])
    # (URL.set(database=None) means "unchanged", so the URL is rebuilt without it.)
    return URL.create(
        url.drivername,
        username=url.username,
        password=url.password,
        host=url.host,
        port=url.port,
        database=None,
        query=url.query,
    )
