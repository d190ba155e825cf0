"""The one place the version lives (pyproject reads it from here)."""

__version__ = "0.1.0"

#: What `SELECT VERSION()` answers: MySQL 8.0-compatible, TiDB-flavoured, so drivers and
#: pytidb take the TiDB code paths.
TIDB_RELEASE = "v8.5.0"
SERVER_VERSION = f"8.0.11-TiDB-{TIDB_RELEASE}-autovec-{__version__}"
