"""Local CLIP-family models: texts and images into one space, offline.

The models are tiny and randomly initialised (tests/embeddings/tiny_models.py), but
real: real transformers CLIP / SigLIP weights, a real BPE tokenizer, a real
preprocessor config, loaded from disk the way clip-ViT-B-32 and
openai/clip-vit-base-patch32 are.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("transformers")
Image = pytest.importorskip("PIL.Image")

from autovec.embeddings import (  # noqa: E402
    EmbeddingFunction,
    ImageInput,
    KeyResolver,
    ModelNotAvailableError,
    UnsupportedInputError,
    as_image,
)
from autovec.embeddings.image_fetch import ImageFetchError, ImageFetchPolicy  # noqa: E402
from autovec.embeddings.local.encoders import ImageTextEncoder  # noqa: E402
from autovec.embeddings.local.image_models import image_text_model  # noqa: E402
from autovec.embeddings.local.loading import LoadedModel  # noqa: E402
from autovec.embeddings.local.locate import is_model_dir, locate_model  # noqa: E402
from autovec.embeddings.providers.local import LocalProvider  # noqa: E402
from tests.embeddings.tiny_models import (  # noqa: E402
    TINY_CLIP_DIMS,
    TINY_CLIP_MAX_TOKENS,
    TINY_CLIP_MEAN,
    TINY_CLIP_SIZE,
    TINY_CLIP_STD,
    build_tiny_clip,
    build_tiny_siglip,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

TEXTS = [
    "a photo of a cat",
    "an orange tabby cat sat on the mat",
    "the quick brown fox jumps over the lazy dog " * 3,  # longer than the 32 tokens
    "red",
    "a blue circle",
]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("clip-models")
    return {
        "transformers": build_tiny_clip(base, format="transformers"),
        "sentence-transformers": build_tiny_clip(base, format="sentence-transformers"),
        "siglip": build_tiny_siglip(base),
    }


def png(color: tuple[int, int, int], size: tuple[int, int] = (40, 32), mode: str = "RGB") -> bytes:
    """A PNG of a coloured square on a grey ground (so that images differ in shape too)."""
    image = Image.new("RGB", size, (128, 128, 128))
    w, h = size
    image.paste(color, (w // 4, h // 4, 3 * w // 4, 3 * h // 4))
    buf = io.BytesIO()
    image.convert(mode).save(buf, format="PNG")
    return buf.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> ImageInput:
    return ImageInput(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}")


IMAGES = [
    data_uri(png((255, 0, 0))),
    data_uri(png((0, 0, 255), (64, 48))),
    data_uri(png((0, 200, 0), (32, 32))),
    data_uri(png((250, 160, 30), (20, 50))),
    data_uri(png((255, 255, 255), (48, 48), mode="L")),
]


def offline_fn(path: Path, **kwargs: Any) -> EmbeddingFunction:
    return EmbeddingFunction(
        f"local/{path}", keys=KeyResolver(use_environ=False), caching=False, **kwargs
    )


def loaded(path: Path) -> LoadedModel:
    provider = offline_fn(path).provider
    assert isinstance(provider, LocalProvider)
    return provider.loaded()


# --- finding and declaring ------------------------------------------------------------


def test_both_layouts_are_model_dirs_that_declare_images_and_their_size(
    models: dict[str, Path],
) -> None:
    st = models["sentence-transformers"]
    assert not (st / "config.json").exists()  # clip-ViT-B-32's layout: the model is in 0_CLIPModel
    for path in models.values():
        assert is_model_dir(path)
    info = image_text_model(st)
    assert info is not None and info.weights == st / "0_CLIPModel"
    assert (info.model_type, info.dimensions, info.max_positions) == (
        "clip",
        TINY_CLIP_DIMS,
        TINY_CLIP_MAX_TOKENS,
    )
    siglip = image_text_model(models["siglip"])
    assert siglip is not None and (siglip.model_type, siglip.dimensions) == ("siglip", 32)
    for name in ("transformers", "sentence-transformers"):
        fn = offline_fn(models[name], multimodal=True)
        assert fn.provider.multimodal and not fn.provider.accepts_image_urls
        assert fn.dimensions == TINY_CLIP_DIMS


def test_a_text_model_is_not_taken_for_an_image_model(tmp_path: Path) -> None:
    from tests.embeddings.tiny_models import build_tiny_bert

    bert = build_tiny_bert(tmp_path)
    assert image_text_model(bert) is None
    fn = offline_fn(bert)
    assert not fn.provider.multimodal
    with pytest.raises(UnsupportedInputError, match="does not accept image input"):
        fn.embed([IMAGES[0]])


def test_reading_the_declaration_loads_neither_torch_nor_pil(models: dict[str, Path]) -> None:
    script = (
        "import sys\n"
        "from autovec.embeddings import EmbeddingFunction\n"
        f"fn = EmbeddingFunction('local/{models['sentence-transformers']}', multimodal=True)\n"
        "print(fn.dimensions, fn.provider.multimodal)\n"
        "print(sorted(m for m in ('torch', 'PIL', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == [f"{TINY_CLIP_DIMS} True", "[]"]


def test_found_by_name_under_the_models_dir_and_in_the_hf_cache(
    models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models_dir = tmp_path / "models"
    shutil.copytree(models["sentence-transformers"], models_dir / "clip-ViT-tiny")
    monkeypatch.setenv("AUTOVEC_MODELS_DIR", str(models_dir))
    assert locate_model("clip-ViT-tiny") == (models_dir / "clip-ViT-tiny").resolve()
    by_name = EmbeddingFunction("local/clip-ViT-tiny", multimodal=True, caching=False)
    hub = tmp_path / "hub"
    snapshot = hub / "models--tiny-org--clip-tiny" / "snapshots" / "abc123"
    shutil.copytree(models["transformers"], snapshot)
    (hub / "models--tiny-org--clip-tiny" / "refs").mkdir()
    (hub / "models--tiny-org--clip-tiny" / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    hf = EmbeddingFunction(
        "huggingface/tiny-org/clip-tiny",
        multimodal=True,
        caching=False,
        keys=KeyResolver(use_environ=False),
    )
    assert hf.provider.runs_locally  # type: ignore[attr-defined]
    assert hf.provider.multimodal and not hf.provider.accepts_image_urls
    assert hf.dimensions == TINY_CLIP_DIMS
    direct = offline_fn(models["transformers"]).embed(IMAGES[:2] + TEXTS[:2])
    np.testing.assert_allclose(hf.embed(IMAGES[:2] + TEXTS[:2]), direct, atol=1e-6)
    # The same seed in both layouts is the same model.
    np.testing.assert_allclose(by_name.embed(IMAGES[:2] + TEXTS[:2]), direct, atol=1e-6)


def test_models_list_shows_them_with_their_space_size(
    models: dict[str, Path], tmp_path: Path
) -> None:
    models_dir = tmp_path / "models"
    shutil.copytree(models["sentence-transformers"], models_dir / "clip-st")
    shutil.copytree(models["siglip"], models_dir / "siglip")
    done = subprocess.run(
        [sys.executable, "-m", "autovec", "models", "list", "--format", "json"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "AUTOVEC_MODELS_DIR": str(models_dir),
            "HOME": str(tmp_path),
        },
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = {m["name"]: m for m in json.loads(done.stdout) if m["source"] == "models dir"}
    assert found["clip-st"]["dimensions"] == TINY_CLIP_DIMS
    assert found["clip-st"]["max_tokens"] == TINY_CLIP_MAX_TOKENS
    assert found["siglip"]["dimensions"] == 32
    assert found["clip-st"]["images"] is True and found["siglip"]["images"] is True
    check = subprocess.run(
        [sys.executable, "-m", "autovec", "models", "check", str(models_dir / "clip-st")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "HOME": str(tmp_path)},
        timeout=120,
    )
    assert check.returncode == 1 and "image-and-text model" in check.stderr


def test_catalogued_clip_models_declare_their_size_without_weights() -> None:
    for name, dims in (
        ("huggingface/sentence-transformers/clip-ViT-B-32", 512),
        ("local/clip-ViT-L-14", 768),
        ("huggingface/google/siglip-base-patch16-224", 768),
    ):
        assert EmbeddingFunction(name, multimodal=True).dimensions == dims
    remote = EmbeddingFunction(
        "huggingface/openai/clip-vit-base-patch32",
        multimodal=True,
        keys=KeyResolver({"TIDB_EXP_EMBED_HUGGINGFACE_API_KEY": "hf-test"}, use_environ=False),
    )
    assert not remote.provider.multimodal  # the API route: text only
    with pytest.raises(UnsupportedInputError, match="weights on this machine"):
        remote.embed([IMAGES[0]])
    with pytest.raises(ModelNotAvailableError, match="not found"):
        offline_fn(Path("clip-ViT-B-32"), multimodal=True).embed([IMAGES[0]])


# --- what it computes -----------------------------------------------------------------


def test_vectors_are_those_sentence_transformers_gives(models: dict[str, Path]) -> None:
    from sentence_transformers import SentenceTransformer

    st_dir = models["sentence-transformers"]
    reference = SentenceTransformer(str(st_dir), device="cpu", local_files_only=True)
    pil = [Image.open(io.BytesIO(base64.b64decode(i.base64_data))) for i in IMAGES]
    expected_images = reference.encode(pil, convert_to_numpy=True)
    expected_texts = reference.encode(TEXTS, convert_to_numpy=True)
    fn = offline_fn(st_dir)
    raw = fn.embed([*IMAGES, *TEXTS], options={"normalize": False})
    np.testing.assert_allclose(raw[: len(IMAGES)], expected_images, atol=1e-5)
    np.testing.assert_allclose(raw[len(IMAGES) :], expected_texts, atol=1e-5)


def test_the_layout_sentence_transformers_saves_today_runs_the_same(
    models: dict[str, Path], tmp_path: Path
) -> None:
    """sentence-transformers 5.4+ saves a CLIP at the top level, with processor_config.json."""
    from sentence_transformers import SentenceTransformer

    saved = tmp_path / "resaved"
    SentenceTransformer(str(models["sentence-transformers"]), device="cpu").save(str(saved))
    assert (saved / "config.json").is_file() and not (saved / "0_CLIPModel").exists()
    inputs = [*IMAGES[:2], *TEXTS[:2]]
    np.testing.assert_allclose(
        offline_fn(saved).embed(inputs),
        offline_fn(models["sentence-transformers"]).embed(inputs),
        atol=1e-6,
    )


def test_a_normalize_module_makes_every_vector_unit_length(
    models: dict[str, Path], tmp_path: Path
) -> None:
    normalized = tmp_path / "clip-normalized"
    shutil.copytree(models["sentence-transformers"], normalized)
    modules = json.loads((normalized / "modules.json").read_text())
    modules.append(
        {
            "idx": 1,
            "name": "1",
            "path": "1_Normalize",
            "type": "sentence_transformers.models.Normalize",
        }
    )
    (normalized / "modules.json").write_text(json.dumps(modules))
    (normalized / "1_Normalize").mkdir()
    info = image_text_model(normalized)
    assert info is not None and info.normalized
    raw = offline_fn(normalized).embed([*IMAGES, *TEXTS], options={"normalize": False})
    np.testing.assert_allclose(np.linalg.norm(raw, axis=1), 1.0, atol=1e-5)
    # Any other module after the model changes its vectors: not run as an image model.
    modules.append(
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}
    )
    (normalized / "modules.json").write_text(json.dumps(modules))
    assert image_text_model(normalized) is None


def test_preprocessing_follows_the_models_processor_config(models: dict[str, Path]) -> None:
    encoder = loaded(models["transformers"]).encoder
    assert isinstance(encoder, ImageTextEncoder)
    square = png((250, 160, 30), (TINY_CLIP_SIZE, TINY_CLIP_SIZE))
    pixels = encoder.pixel_values([data_uri(square)])
    rgb = np.asarray(Image.open(io.BytesIO(square)).convert("RGB"), dtype=np.float32) / 255
    mean, std = np.array(TINY_CLIP_MEAN), np.array(TINY_CLIP_STD)
    expected = ((rgb - mean) / std).transpose(2, 0, 1)  # the config's mean and std, not CLIP's
    np.testing.assert_allclose(pixels[0], expected, atol=1e-5)
    # Any size and mode becomes the model's one input: resized, centre-cropped, RGB.
    batch = encoder.pixel_values(IMAGES)
    assert batch.shape == (len(IMAGES), 3, TINY_CLIP_SIZE, TINY_CLIP_SIZE)
    assert batch.dtype == np.float32
    gray = batch[-1]  # the mode-L image: three equal channels after RGB conversion
    np.testing.assert_allclose(gray[0] * std[0] + mean[0], gray[1] * std[1] + mean[1], atol=1e-5)


def test_a_batch_gives_each_row_what_it_gives_alone(models: dict[str, Path]) -> None:
    for name in ("transformers", "siglip"):
        fn = offline_fn(models[name])
        inputs = [*IMAGES, *TEXTS]
        together = fn.embed(inputs)
        alone = np.stack([fn.embed([item])[0] for item in inputs])
        np.testing.assert_allclose(together, alone, atol=1e-5)
        model = loaded(models[name])
        small_batches = model.encode_images(IMAGES, normalize=True, batch_size=2)
        np.testing.assert_allclose(small_batches, together[: len(IMAGES)], atol=1e-5)


def test_shapes_normalisation_and_one_space(models: dict[str, Path]) -> None:
    fn = offline_fn(models["transformers"], multimodal=True)
    images = fn.embed(IMAGES)
    texts = fn.embed(TEXTS)
    assert images.shape == (len(IMAGES), TINY_CLIP_DIMS) and images.dtype == np.float32
    assert texts.shape == (len(TEXTS), TINY_CLIP_DIMS)
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    raw = fn.embed(IMAGES, options={"normalize": False})
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0, atol=1e-3)
    np.testing.assert_allclose(raw / np.linalg.norm(raw, axis=1, keepdims=True), images, atol=1e-5)
    # Distinct images are distinct vectors, and an image searched by itself comes first.
    again = fn.embed([IMAGES[3]])[0]
    scores = images @ again
    assert int(np.argmax(scores)) == 3 and scores[3] == pytest.approx(1.0, abs=1e-5)
    assert len({round(float(s), 4) for s in scores}) == len(IMAGES)
    # Text and image queries rank the same stored images (one space).
    assert (images @ texts[0]).shape == (len(IMAGES),)


def test_texts_are_truncated_to_the_text_towers_positions(models: dict[str, Path]) -> None:
    model = loaded(models["transformers"])
    long = "the quick brown fox jumps over the lazy dog " * 6
    counts = model.encoder.token_counts([long, "a cat"])
    assert counts[0] == TINY_CLIP_MAX_TOKENS and counts[1] < TINY_CLIP_MAX_TOKENS
    fn = offline_fn(models["transformers"])
    one, other = fn.embed([long + "red square", long + "blue circle"])
    np.testing.assert_allclose(one, other, atol=1e-6)  # the ends differ past the limit
    short_one, short_other = fn.embed(["red square", "blue circle"])
    assert not np.allclose(short_one, short_other, atol=1e-3)


def test_the_sdk_embeds_files_pil_images_bytes_and_keywords(
    models: dict[str, Path], tmp_path: Path
) -> None:
    fn = offline_fn(models["sentence-transformers"], multimodal=True)
    data = png((250, 160, 30))
    path = tmp_path / "cat.png"
    path.write_bytes(data)
    expected = fn.embed([data_uri(data)])[0]
    for source in (path, str(path), data):
        vector = fn.get_source_embeddings([source], source_type="image")[0]
        np.testing.assert_allclose(vector, expected, atol=1e-5)
    # A PIL image of RGB pixels travels as a JPEG (as_image's choice, for remote
    # payloads): close to the PNG's vector, not equal to it.
    from_pil = fn.get_source_embeddings([Image.open(path)], source_type="image")[0]
    np.testing.assert_allclose(from_pil, fn.embed([as_image(Image.open(path))])[0], atol=1e-5)
    assert float(np.dot(from_pil, expected)) > 0.99
    query = fn.get_query_embedding("orange tabby cat", source_type="image")
    assert len(query) == TINY_CLIP_DIMS
    np.testing.assert_allclose(query, fn.embed(["orange tabby cat"], "query")[0], atol=1e-6)


# --- errors ---------------------------------------------------------------------------


def test_bad_images_are_refused_with_clear_errors(models: dict[str, Path]) -> None:
    fn = offline_fn(models["transformers"])
    good = png((255, 0, 0))
    cases = {
        "cannot be decoded": data_uri(good[: len(good) // 2]),  # a truncated PNG
        "cannot be decoded as image/png": data_uri(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        "not an image": data_uri(b"hello, world", mime="text/plain"),
        "not valid base64": ImageInput("data:image/png;base64,@@not-base64@@"),
        "not URLs": ImageInput("https://example.com/cat.png"),
    }
    for message, image in cases.items():
        with pytest.raises(UnsupportedInputError, match=message) as caught:
            fn.embed([data_uri(good), image])
        assert caught.value.errno == 1105


@pytest.fixture
def image_server() -> Iterator[str]:
    """A loopback HTTP server answering every path with one PNG: its base URL."""
    body = png((250, 160, 30))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_sdk_fetches_an_image_url_for_the_model_under_the_fetch_policy(
    models: dict[str, Path], image_server: str
) -> None:
    url = image_server + "/cat.png"
    # The model never sees a URL: the SDK fetches it, as safely as the database does.
    safe = offline_fn(models["transformers"], multimodal=True)
    with pytest.raises(ImageFetchError, match="autovec_image_allow_private_hosts"):
        safe.get_query_embedding(url, source_type="image")
    allowed = offline_fn(
        models["transformers"],
        multimodal=True,
        image_fetch_policy=ImageFetchPolicy(allow_private_hosts=True),
    )
    expected = allowed.embed([data_uri(png((250, 160, 30)))], "query")[0]
    query = allowed.get_query_embedding(url, source_type="image")
    np.testing.assert_allclose(query, expected, atol=1e-5)
    [stored] = allowed.get_source_embeddings([url], source_type="image")
    np.testing.assert_allclose(stored, allowed.embed([data_uri(png((250, 160, 30)))])[0], atol=1e-5)


def test_int8_is_refused_for_an_image_model(models: dict[str, Path]) -> None:
    fn = offline_fn(models["transformers"])
    with pytest.raises(ModelNotAvailableError, match="torch only"):
        fn.embed(["a cat"], options={"quantize": "int8"})


def test_a_model_missing_its_processor_config_is_a_clear_error(
    models: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken-clip"
    shutil.copytree(models["transformers"], broken)
    (broken / "preprocessor_config.json").unlink()
    (broken / "tokenizer.json").unlink()
    (broken / "tokenizer_config.json").unlink()
    with pytest.raises(ModelNotAvailableError, match="broken-clip"):
        offline_fn(broken).embed(["a cat"])


def test_a_missing_model_says_it_is_missing_not_that_it_takes_no_images(tmp_path: Path) -> None:
    fn = offline_fn(tmp_path / "no-such-model", multimodal=True)
    assert not fn.provider.multimodal
    with pytest.raises(ModelNotAvailableError, match="not found"):
        fn.embed([IMAGES[0]])
