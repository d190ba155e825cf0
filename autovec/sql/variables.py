"""System variables: defaults, scopes, and what SHOW VARIABLES / @@var answer.

Drivers and ORMs read a handful of these at connect time (sql_mode,
lower_case_table_names, character sets, transaction isolation); pytidb and TiDB users
set ``tidb_*`` ones, including the Auto Embedding API keys, which are global, persisted
in the data directory and always shown as ``******``.
"""

from __future__ import annotations

from typing import Any

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

GLOBAL_ONLY = {name for name in DEFAULTS if name.startswith("tidb_exp_embed_")} | {
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
