"""Small sentence-transformers models the tests build themselves (random weights, seconds)."""

from __future__ import annotations

import string
from pathlib import Path

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
