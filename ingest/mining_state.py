"""The template miner's state as plain JSON (its own serializer, no pickles).

Why its own module: the miner (``mining``) is long enough; persistence is one concern.
A reloaded miner routes exactly like the one that was saved: Drain's prefix tree,
clusters, stable ids, merge units, the mask set, and the coarse templates the budget
made (``mining_budget``; absent in states written before it, which load as none).
The file is written with the one atomic-write helper (``logpilot_kernel.atomic``).
"""

from __future__ import annotations

import json
import pathlib
from typing import TYPE_CHECKING

from drain3.drain import LogCluster

from logpilot_kernel.atomic import write_text
from logpilot_kernel.errors import WorkspaceError
from logpilot_kernel.ingest.masks import Mask
from logpilot_kernel.ingest.mining_budget import CoarseTemplates
from logpilot_kernel.ingest.mining_merge import Unit
from logpilot_kernel.ingest.mining_tree import dump_node, load_node

if TYPE_CHECKING:
    from logpilot_kernel.ingest.mining import TemplateMiner

__all__ = ["save_state", "load_state"]


def save_state(miner: "TemplateMiner", path: pathlib.Path) -> None:
    """Write ``miner``'s state to ``path`` atomically."""
    from logpilot_kernel.ingest import mining as m

    d = miner._drain
    state = {
        "format": m._STATE_FORMAT,
        "version": m._STATE_VERSION,
        "drain": miner._drain_config(),
        "settings": miner.settings,
        "masks": [[k.name, k.pattern] for k in miner.masks],
        "counter": d.clusters_counter,
        "clusters": [
            {"id": miner._tid[c.cluster_id], "drain_id": c.cluster_id, "size": c.size,
             "tokens": list(c.log_template_tokens), "text": miner._text[miner._tid[c.cluster_id]]}
            for c in d.id_to_cluster.values()
        ],
        # a unit's tokens are stored only when a merge made them differ from its cluster's
        "units": {sid: {"tokens": None if any(u.tokens is c.log_template_tokens for c in d.id_to_cluster.values()
                                              if miner._tid[c.cluster_id] == sid) else list(u.tokens),
                        "seps": list(u.shape[0]), "lead": u.shape[1], "age": u.age, "fixed": u.fixed}
                  for sid, u in miner._units.items()},
        "merged": miner._merged,
        "coarse": miner._coarse.dump(),
        "tree": dump_node(d.root_node),
    }
    write_text(path, json.dumps(state, ensure_ascii=False, separators=(",", ":")))


def load_state(miner: "TemplateMiner", path: pathlib.Path) -> None:
    """Replace ``miner``'s state by the one saved at ``path`` (a clear error if unreadable)."""
    from logpilot_kernel.ingest import mining as m

    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise WorkspaceError(str(path), f"unreadable template-miner state ({e})") from e
    if not isinstance(state, dict) or state.get("format") != m._STATE_FORMAT:
        raise WorkspaceError(str(path), "not a LogPilot template-miner state file")
    if not isinstance(state.get("version"), int) or state["version"] > m._STATE_VERSION:
        raise WorkspaceError(str(path), f"template-miner state version {state.get('version')!r} "
                                        f"is newer than this LogPilot ({m._STATE_VERSION})")
    try:
        drain = m._TokenDrain(**{k: state["drain"][k] for k in m.DRAIN_CONFIG})
        # a state written before the settings existed (version 1) keeps routing as it did
        settings = {**m.SETTINGS, "var_min": 0, "exact_words": False, **state.get("settings", {}),
                    "depth": drain.log_cluster_depth, "sim_th": drain.sim_th}
        masks = tuple(Mask(str(n), str(p)) for n, p in state["masks"])
        drain.clusters_counter = int(state["counter"])
        tid: dict[int, str] = {}
        text: dict[str, str] = {}
        for c in state["clusters"]:
            cl = LogCluster([str(t) for t in c["tokens"]], int(c["drain_id"]))
            cl.size = int(c["size"])
            drain.id_to_cluster[cl.cluster_id] = cl
            tid[cl.cluster_id] = str(c["id"])
            text[str(c["id"])] = str(c["text"])
        drain.root_node = load_node(state["tree"])
        if state["version"] == 1 and len(text) != len(tid):
            raise ValueError("duplicate template ids")
        units: dict[str, Unit] = {}
        by_sid = {sid: drain.id_to_cluster[cid] for cid, sid in tid.items()}
        for sid, u in state.get("units", {}).items():
            tokens = tuple(map(str, u["tokens"])) if u["tokens"] is not None else by_sid[sid].log_template_tokens
            units[str(sid)] = Unit(tokens, (tuple(map(str, u["seps"])), str(u["lead"])), int(u["age"]),
                                   int(u["fixed"]))
        merged = {str(k): str(v) for k, v in state.get("merged", {}).items()}
        coarse = CoarseTemplates.load(state.get("coarse", []))
        for key, sid in coarse.by_key.items():
            text[sid] = coarse.text_of(key)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as e:
        raise WorkspaceError(str(path), f"corrupt template-miner state ({e!r})") from e
    miner._drain, miner._tid, miner._text, miner.masks = drain, tid, text, masks
    miner._units, miner._merged, miner.settings = units, merged, settings
    miner._coarse = coarse
    miner._drain.exact_words = bool(settings["exact_words"])

