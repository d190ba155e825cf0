"""EMBED_TEXT options: JSON object rule, @search, DDL validation."""

from __future__ import annotations

import pytest

from autovec.embeddings import (
    InvalidOptionsError,
    canonical_json,
    options_for,
    parse_options,
    search_options,
    validate_options,
    write_options,
)

NOT_JSON = "EMBED_TEXT expects options in JSON format"


@pytest.mark.parametrize("raw", [None, "", "   ", b""])
def test_null_and_empty_mean_no_options(raw: object) -> None:
    assert parse_options(raw) == {}  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["[1,2]", '"x"', "42", "{bad", "null"])
def test_non_object_is_tidbs_error(raw: str) -> None:
    with pytest.raises(InvalidOptionsError) as exc:
        parse_options(raw)
    assert str(exc.value) == NOT_JSON


def test_search_keys_replace_on_query_and_drop_on_write() -> None:
    raw = '{"input_type":"search_document","input_type@search":"search_query","truncate":"END"}'
    opts = parse_options(raw)
    assert write_options(opts) == {"input_type": "search_document", "truncate": "END"}
    assert search_options(opts) == {"input_type": "search_query", "truncate": "END"}
    assert options_for("document", raw) == write_options(opts)
    assert options_for("query", raw) == search_options(opts)


def test_search_only_key_adds_on_query_side() -> None:
    assert options_for("query", '{"task@search":"retrieval.query"}') == {"task": "retrieval.query"}
    assert options_for("document", '{"task@search":"retrieval.query"}') == {}


def test_ddl_rejects_duplicates_empty_and_double_suffix() -> None:
    with pytest.raises(InvalidOptionsError, match="duplicate key 'dimensions'"):
        validate_options('{"dimensions":512,"dimensions":256}')
    with pytest.raises(InvalidOptionsError, match="empty key"):
        validate_options('{"":1}')
    with pytest.raises(InvalidOptionsError, match="empty name"):
        validate_options('{"@search":1}')
    with pytest.raises(InvalidOptionsError, match="may appear only once"):
        validate_options('{"k@search@search":1}')
    with pytest.raises(InvalidOptionsError, match=NOT_JSON):
        validate_options("[]")
    assert validate_options('{"a":1,"a@search":2}') == {"a": 1, "a@search": 2}
    # Run time is lenient: the last duplicate wins.
    assert parse_options('{"a":1,"a":2}') == {"a": 2}


def test_canonical_json_is_order_independent() -> None:
    assert (
        canonical_json({"b": 1, "a": "é"})
        == canonical_json({"a": "é", "b": 1})
        == '{"a":"é","b":1}'
    )
