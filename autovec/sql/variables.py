"""System variables: defaults, scopes, and what SHOW VARIABLES / @@var answer.

Drivers and ORMs read a handful of these at connect time (sql_mode,
lower_case_table_names, character sets, transaction isolation); pytidb and TiDB users
set ``tidb_*`` ones, including the Auto Embedding API keys, which are global, persisted
in the data directory and always shown as ``******``. The ``autovec_image_*`` ones set
what the database may fetch for ``EMBED_IMAGE`` (``autovec.embeddings.image_fetch``), are
global and persisted too, and are checked when set, so a bad value fails the ``SET``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from autovec import errors
from autovec.version import SERVER_VERSION, __version__

SECRET_MASK = "******"
EMBED_PROVIDERS = (
    "OPENAI",
    "COHERE",
    "JINA_AI",
    "GEMINI",
    "HUGGINGFACE",
    "NVIDIA_NIM",
    "DASHSCOPE",
    "TIDBCLOUD_FREE",
)

DEFAULTS: dict[str, Any] = {
    "autocommit": 1,
    "auto_increment_increment": 1,
    "auto_increment_offset": 1,
    "character_set_client": "utf8mb4",
    "character_set_connection": "utf8mb4",
    "character_set_database": "utf8mb4",
    "character_set_results": "utf8mb4",
    "character_set_server": "utf8mb4",
    "collation_connection": "utf8mb4_bin",
    "collation_database": "utf8mb4_bin",
    "collation_server": "utf8mb4_bin",
    "default_storage_engine": "InnoDB",
    "div_precision_increment": 4,
    "foreign_key_checks": 1,
    "group_concat_max_len": 1024,
    "have_ssl": "DISABLED",
    "init_connect": "",
    "innodb_lock_wait_timeout": 50,
    "interactive_timeout": 28800,
    "license": "Apache License 2.0",
    "lower_case_table_names": 2,
    "max_allowed_packet": 67108864,
    "max_execution_time": 0,
    "net_write_timeout": 60,
    "port": 4000,
    "sql_mode": "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION",
    "sql_select_limit": 18446744073709551615,
    "system_time_zone": "UTC",
    "time_zone": "SYSTEM",
    "transaction_isolation": "REPEATABLE-READ",
    "tx_isolation": "REPEATABLE-READ",
    "transaction_read_only": 0,
    "tx_read_only": 0,
    "version": SERVER_VERSION,
    "version_comment": f"autovec {__version__}: TiDB-compatible auto-embedding vector database (embedded, SQLite)",
    "version_compile_machine": "x86_64",
    "version_compile_os": "linux",
    "wait_timeout": 28800,
    "warning_count": 0,
    "tidb_enable_vector_search": 1,
    "tidb_isolation_read_engines": "tikv,tiflash,tidb",
    "tidb_allow_mpp": 1,
    "tidb_enable_clustered_index": "ON",
    "tidb_row_format_version": 2,
    **{f"tidb_exp_embed_{p.lower()}_api_key": "" for p in EMBED_PROVIDERS},
    **{f"tidb_exp_embed_{p.lower()}_api_base": "" for p in EMBED_PROVIDERS},
}
DEFAULTS["tidb_exp_embed_openai_api_base"] = "https://api.openai.com/v1"

#: What the database may fetch for image columns; the defaults of ``ImageFetchPolicy``
#: (not imported: it brings httpx, and plain SQL must not pay for it).
IMAGE_FETCH_DEFAULTS: dict[str, Any] = {
    "autovec_image_dirs": "",
    "autovec_image_allow_private_hosts": 0,
    "autovec_image_max_bytes": 10 * 1024 * 1024,
    "autovec_image_fetch_timeout": 10.0,
    "autovec_image_max_redirects": 3,
}
DEFAULTS.update(IMAGE_FETCH_DEFAULTS)

GLOBAL_ONLY = {name for name in DEFAULTS if name.startswith("tidb_exp_embed_")} | {
    *IMAGE_FETCH_DEFAULTS,
    "lower_case_table_names",
    "version",
    "version_comment",
    "license",
    "system_time_zone",
    "port",
    "have_ssl",
}


def is_secret(name: str) -> bool:
    return name.lower().endswith("_api_key")


def display(name: str, value: Any) -> Any:
    """The value as users may see it: keys are never shown."""
    if is_secret(name) and value not in (None, ""):
        return SECRET_MASK
    return value


def normalize(name: str, value: Any) -> Any:
    """MySQL accepts ON/OFF/TRUE/FALSE for boolean variables; store 1/0."""
    check = _IMAGE_FETCH_CHECKS.get(name)
    if check is not None:
        if isinstance(value, str) and value.upper() == "DEFAULT":
            return IMAGE_FETCH_DEFAULTS[name]
        return check(name, value)
    if (
        isinstance(value, str)
        and value.upper() in ("ON", "TRUE")
        and name in ("autocommit", "foreign_key_checks")
    ):
        return 1
    if (
        isinstance(value, str)
        and value.upper() in ("OFF", "FALSE")
        and name in ("autocommit", "foreign_key_checks")
    ):
        return 0
    if name in ("transaction_isolation", "tx_isolation") and isinstance(value, str):
        return value.upper().replace(" ", "-")
    return value


# --- autovec_image_* values ------------------------------------------------------------


def _wrong_value(name: str, value: Any) -> errors.OperationalError:
    # MySQL's ER_WRONG_VALUE_FOR_VAR text, which clients already recognise.
    return errors.OperationalError(
        f"Variable '{name}' can't be set to the value of '{value}'", 1231, "42000"
    )


def _image_dirs(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise errors.OperationalError(
            f"Incorrect argument type to variable '{name}'", 1232, "42000"
        )
    parts = [part.strip() for part in value.replace(os.pathsep, ",").split(",")]
    relative = [part for part in parts if part and not os.path.isabs(part)]
    if relative:
        # Relative to the server's working directory is nothing a user can know.
        raise _wrong_value(name, value)
    return value.strip()


def _on_off(name: str, value: Any) -> int:
    text = str(value).strip().upper()
    if text in ("ON", "TRUE", "1"):
        return 1
    if text in ("OFF", "FALSE", "0"):
        return 0
    raise _wrong_value(name, value)


def _bounded(low: float, high: float, *, integer: bool) -> Callable[[str, Any], Any]:
    def check(name: str, value: Any) -> Any:
        if isinstance(value, bool) or (integer and isinstance(value, float)):
            raise _wrong_value(name, value)
        try:
            number = int(value) if integer else float(value)
        except (TypeError, ValueError):
            raise errors.OperationalError(
                f"Incorrect argument type to variable '{name}'", 1232, "42000"
            ) from None
        if not low <= number <= high:
            raise _wrong_value(name, value)
        return number

    return check


_IMAGE_FETCH_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "autovec_image_dirs": _image_dirs,
    "autovec_image_allow_private_hosts": _on_off,
    "autovec_image_max_bytes": _bounded(1, 1 << 30, integer=True),
    "autovec_image_fetch_timeout": _bounded(0.001, 3600, integer=False),
    "autovec_image_max_redirects": _bounded(0, 20, integer=True),
}
