"""Key/base resolution order, and keys never shown."""

from __future__ import annotations

import pickle

import pytest

from autovec.embeddings import EmbeddingFunction, KeyResolver, Secret, key_variable
from autovec.embeddings.keys import RedactedHeaders, base_variable, redact
from tests.mock_providers import GeminiMock, OpenAIMock


def test_variable_names() -> None:
    assert key_variable("openai") == "TIDB_EXP_EMBED_OPENAI_API_KEY"
    assert key_variable("jina_ai") == "TIDB_EXP_EMBED_JINA_AI_API_KEY"
    assert base_variable("openai") == "TIDB_EXP_EMBED_OPENAI_API_BASE"


def test_variables_then_environment_then_customary_names() -> None:
    env = {
        "OPENAI_API_KEY": "sk-env",
        "TIDB_EXP_EMBED_COHERE_API_KEY": "co-env",
        "HF_TOKEN": "hf_x",
    }
    resolver = KeyResolver({"tidb_exp_embed_openai_api_key": "sk-var"}, environ=env)
    assert resolver.api_key("openai") == Secret("sk-var")
    assert resolver.api_key("cohere") == Secret("co-env")
    assert resolver.api_key("huggingface") == Secret("hf_x")
    assert resolver.api_key("gemini") is None


def test_empty_string_means_unset() -> None:
    resolver = KeyResolver(
        {"TIDB_EXP_EMBED_OPENAI_API_KEY": ""}, environ={"OPENAI_API_KEY": "sk-env"}
    )
    assert resolver.api_key("openai") == Secret("sk-env")
    assert (
        KeyResolver({"TIDB_EXP_EMBED_OPENAI_API_BASE": ""}, use_environ=False).api_base("openai")
        is None
    )


def test_callable_variables_are_read_live() -> None:
    current: dict[str, str] = {}
    resolver = KeyResolver(lambda: current, use_environ=False)
    assert resolver.api_key("openai") is None
    current["TIDB_EXP_EMBED_OPENAI_API_KEY"] = "sk-later"
    assert resolver.api_key("openai") == Secret("sk-later")


def test_bases_from_variables_and_env() -> None:
    resolver = KeyResolver({"TIDB_EXP_EMBED_OPENAI_API_BASE": "http://127.0.0.1:9/v1"}, environ={})
    assert resolver.api_base("openai") == "http://127.0.0.1:9/v1"
    env_only = KeyResolver(environ={"OPENAI_BASE_URL": "http://127.0.0.1:8/v1"})
    assert env_only.api_base("openai") == "http://127.0.0.1:8/v1"


def test_secret_never_prints() -> None:
    secret = Secret("sk-very-secret-value")
    assert "very" not in repr(secret) and "very" not in str(secret) and "very" not in f"{secret}"
    assert secret.reveal() == "sk-very-secret-value"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_redact() -> None:
    text = 'Bearer abc.def-123 and sk-1234567890abcdef and {"api_key": "zzz"} and hf_abcdefghijk'
    out = redact(text, [Secret("zzz")])
    for leaked in ("abc.def-123", "1234567890abcdef", "zzz", "abcdefghijk"):
        assert leaked not in out
    assert redact("my key is plainsecret1", ["plainsecret1"]) == "my key is ******"


def test_redacted_headers_repr() -> None:
    headers = RedactedHeaders({"Authorization": "Bearer sk-secret-123", "x-other": "1"})
    assert "sk-secret" not in repr(headers) and "x-other" in repr(headers)
    assert headers["Authorization"] == "Bearer sk-secret-123"


def test_embedding_function_repr_hides_key() -> None:
    fn = EmbeddingFunction("openai/text-embedding-3-small", api_key="sk-hidden-0123456789")
    assert "hidden" not in repr(fn)
    assert "hidden" not in repr(fn.provider) and "hidden" not in repr(fn.provider.credentials)


def test_keys_stay_out_of_tracebacks_even_with_locals(
    openai_mock: OpenAIMock, gemini_mock: GeminiMock
) -> None:
    import traceback

    from autovec.embeddings import EmbeddingError
    from tests.embeddings.conftest import FAST

    cases = [
        ("openai/text-embedding-3-small", openai_mock, "sk-leaky-0123456789abcdef", None),
        ("openai/text-embedding-3-small", openai_mock, openai_mock.api_key, "server_error"),
        ("gemini/gemini-embedding-001", gemini_mock, "AIzaLeaky0123456789abcdefghij", None),
    ]
    for model, mock, key, failure in cases:
        assert key is not None
        keys = KeyResolver(
            {**mock.variables(), key_variable(model.split("/")[0]): key}, use_environ=False
        )
        fn = EmbeddingFunction(model, keys=keys, http_settings=FAST, caching=False)
        if failure:
            mock.fail_next(failure, times=10, message=f"echo: Bearer {key}")
        with pytest.raises(EmbeddingError) as exc:
            fn.embed_documents(["x"])
        # Every frame below this test's own (whose locals hold the key on purpose).
        error = exc.value
        assert exc.tb.tb_next is not None
        rendered = "".join(
            traceback.TracebackException(
                type(error), error, exc.tb.tb_next, capture_locals=True
            ).format()
        )
        assert key not in rendered, model
        assert key not in str(exc.value) and key not in repr(exc.value)
