"""Small models the tests build themselves (random weights, seconds): a BERT text model, and
CLIP / SigLIP image-and-text models (``build_tiny_clip`` also serves benches and examples)."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

#: Enough word pieces that any ASCII text tokenizes to something other than [UNK].
_WORDS = [
    "the",
    "a",
    "an",
    "of",
    "to",
    "and",
    "in",
    "is",
    "it",
    "that",
    "for",
    "on",
    "with",
    "as",
    "was",
    "by",
    "this",
    "be",
    "are",
    "from",
    "at",
    "or",
    "vector",
    "database",
    "query",
    "search",
    "text",
    "model",
    "cat",
    "dog",
    "sat",
    "mat",
    "fox",
    "quick",
    "brown",
    "lazy",
]


def build_tiny_bert(target: Path, *, seed: int = 0, normalize: bool = True) -> Path:
    """A 2-layer, 32-wide BERT with mean pooling saved as a sentence-transformers directory."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    target.mkdir(parents=True, exist_ok=True)
    letters = list(string.ascii_lowercase + string.digits + string.punctuation)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *_WORDS, *letters]
    vocab += ["##" + c for c in letters]
    (target / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertWordPieceTokenizer(str(target / "vocab.txt"), lowercase=True)
    fast = BertTokenizerFast(tokenizer_object=tokenizer._tokenizer, model_max_length=64)
    fast.pad_token, fast.unk_token, fast.cls_token = "[PAD]", "[UNK]", "[CLS]"
    fast.sep_token, fast.mask_token = "[SEP]", "[MASK]"
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    bert_dir = target / "_bert"
    BertModel(config).save_pretrained(bert_dir)
    fast.save_pretrained(bert_dir)
    transformer = Transformer(str(bert_dir), max_seq_length=48)
    modules: list[torch.nn.Module] = [transformer, Pooling(32, pooling_mode="mean")]
    if normalize:
        modules.append(Normalize())
    model = SentenceTransformer(modules=modules, device="cpu")
    out = target / "model"
    model.save(str(out))
    return out


def _tiny_clip_tokenizer(max_length: int) -> Any:
    """A real CLIP byte-level BPE tokenizer: every byte, and merges that make whole tokens
    of the test words (built left to right, so the same every time: trained merges
    break ties differently from run to run, and a different vocabulary is another model)."""
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokens = ["<|startoftext|>", "<|endoftext|>", *alphabet, *(c + "</w>" for c in alphabet)]
    vocab = {token: i for i, token in enumerate(tokens)}
    merges: list[tuple[str, str]] = []
    for word in [*_WORDS, "photo", "orange", "tabby", "red", "blue", "green", "square"]:
        pieces = [*word[:-1], word[-1] + "</w>"]
        while len(pieces) > 1:
            pair = (pieces[0], pieces[1])
            if pair not in merges:
                merges.append(pair)
                vocab.setdefault(pair[0] + pair[1], len(vocab))
            pieces = [pair[0] + pair[1], *pieces[2:]]
    return CLIPTokenizerFast(vocab=vocab, merges=merges, model_max_length=max_length)


#: The tiny CLIP's preprocessing: 32×32 crops, and a mean and std of its own so that a
#: test can tell the model's config from transformers' defaults.
TINY_CLIP_MEAN = (0.5, 0.4, 0.3)
TINY_CLIP_STD = (0.2, 0.25, 0.3)
TINY_CLIP_SIZE = 32
TINY_CLIP_DIMS = 16
TINY_CLIP_MAX_TOKENS = 32


def build_tiny_clip(target: Path, *, format: str = "transformers", seed: int = 0) -> Path:
    """A randomly initialised CLIP (32-wide towers, 32×32 images, 16-d space).

    ``format="transformers"``: a ``CLIPModel`` directory as ``openai/clip-vit-base-patch32``
    is published (config.json, model.safetensors, tokenizer files, preprocessor_config.json).
    ``format="sentence-transformers"``: the same model in the layout of
    ``sentence-transformers/clip-ViT-B-32`` (modules.json → ``0_CLIPModel/``).
    Returns the directory to give as ``local/<dir>``.
    """
    import torch
    from transformers import CLIPConfig, CLIPModel

    if format not in ("transformers", "sentence-transformers"):
        raise ValueError(f"format must be 'transformers' or 'sentence-transformers': {format!r}")
    tokenizer = _tiny_clip_tokenizer(TINY_CLIP_MAX_TOKENS)
    special = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    config = CLIPConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "max_position_embeddings": TINY_CLIP_MAX_TOKENS,
            **_TINY_TOWER,
            **special,
        },
        vision_config={"image_size": TINY_CLIP_SIZE, "patch_size": 8, **_TINY_TOWER},
        projection_dim=TINY_CLIP_DIMS,
    )
    torch.manual_seed(seed)
    model = CLIPModel(config)
    root = target / ("clip" if format == "transformers" else "clip-st")
    weights = root if format == "transformers" else root / "0_CLIPModel"
    model.save_pretrained(weights)
    tokenizer.save_pretrained(weights)
    _write_json(weights / "preprocessor_config.json", _clip_preprocessor())
    if format == "sentence-transformers":
        module = {"idx": 0, "name": "0", "path": "0_CLIPModel"}
        _write_json(
            root / "modules.json", [{**module, "type": "sentence_transformers.models.CLIPModel"}]
        )
        _write_json(
            root / "config_sentence_transformers.json",
            {"__version__": {"sentence_transformers": "2.0.0"}, "prompts": {}},
        )
    return root


def build_tiny_siglip(target: Path, *, seed: int = 0) -> Path:
    """A randomly initialised SigLIP directory (transformers layout), 32-d, 32×32 images.

    It uses the tiny CLIP tokenizer (SigLIP's own is SentencePiece, not installed here);
    what differs from CLIP is the model: pooling, full-length padding, the processor.
    """
    import torch
    from transformers import SiglipConfig, SiglipModel

    max_tokens = 16
    tokenizer = _tiny_clip_tokenizer(max_tokens)
    config = SiglipConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "max_position_embeddings": max_tokens,
            "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "bos_token_id": tokenizer.bos_token_id,
            **_TINY_TOWER,
        },
        vision_config={"image_size": TINY_CLIP_SIZE, "patch_size": 8, **_TINY_TOWER},
    )
    torch.manual_seed(seed)
    root = target / "siglip"
    SiglipModel(config).save_pretrained(root)
    tokenizer.save_pretrained(root)
    _write_json(
        root / "preprocessor_config.json",
        {
            "do_normalize": True,
            "do_rescale": True,
            "do_resize": True,
            "image_mean": [0.5, 0.5, 0.5],
            "image_std": [0.5, 0.5, 0.5],
            "image_processor_type": "SiglipImageProcessor",
            "resample": 2,
            "rescale_factor": 1 / 255,
            "size": {"height": TINY_CLIP_SIZE, "width": TINY_CLIP_SIZE},
        },
    )
    return root


_TINY_TOWER = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
}


def _clip_preprocessor() -> dict[str, object]:
    """preprocessor_config.json as openai/clip-vit-base-patch32 has it, at 32 pixels."""
    return {
        "crop_size": {"height": TINY_CLIP_SIZE, "width": TINY_CLIP_SIZE},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": list(TINY_CLIP_MEAN),
        "image_std": list(TINY_CLIP_STD),
        "image_processor_type": "CLIPImageProcessor",
        "resample": 3,
        "rescale_factor": 1 / 255,
        "size": {"shortest_edge": TINY_CLIP_SIZE},
    }


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
