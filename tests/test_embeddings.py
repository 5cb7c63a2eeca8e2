"""Embedding providers: the offline default and the pluggable choices."""

from __future__ import annotations

import numpy as np
import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.config import load_settings
from logpilot_kernel.embeddings import MiniLMOnnxEmbedding, make_embedding_function
from logpilot_kernel.errors import ConfigError


def fake_langchain_embeddings():
    """A LangChain Embeddings factory, referenced by configuration in the test below."""
    from langchain_core.embeddings import DeterministicFakeEmbedding

    return DeterministicFakeEmbedding(size=16)


def test_default_model_is_normalised_and_semantic() -> None:
    ef = MiniLMOnnxEmbedding()
    a, b, c = (np.asarray(v) for v in ef(["database connection pool exhausted",
                                           "no free connections left in the db pool",
                                           "user logged in successfully"]))
    assert a.shape == (384,) and abs(np.linalg.norm(a) - 1) < 1e-3
    assert float(a @ b) > float(a @ c) + 0.2
    # batching (sorted by length, padded per batch) gives the same vectors as one by one
    many = ef(["x" * n for n in (1, 50, 3, 200)])
    single = [ef(["x" * n])[0] for n in (1, 50, 3, 200)]
    assert all(np.allclose(m, s, atol=1e-4) for m, s in zip(many, single))


def test_a_langchain_embeddings_is_chosen_by_configuration(tmp_path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "logpilot.toml").write_text(
        f'embedding = "python:{__name__}:fake_langchain_embeddings"\n')
    settings = load_settings(tmp_path / "ws", environ={})
    with Workspace(tmp_path / "ws", settings=settings) as ws:
        ws.con.execute("INSERT INTO templates (template_id, template) VALUES ('T1', 'disk full on <*>')")
        assert ws.embed_pending_templates() == 1
        got = ws.templates_collection.get(ids=["T1"], include=["embeddings"])
        assert len(got["embeddings"][0]) == 16  # the fake's size, not MiniLM's 384


def test_unknown_providers_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="accepted: minilm"):
        make_embedding_function("word2vec")
    with pytest.raises(ConfigError) as info:
        make_embedding_function("chroma:sentence_transformerz")
    assert "sentence_transformer" in str(info.value)
    with pytest.raises(ConfigError, match="cannot load"):
        make_embedding_function("python:no_such_module:thing")
