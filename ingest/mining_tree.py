"""Drain's prefix tree as plain JSON (the miner's state file): no pickles, no jsonpickle,
so a state file is data a reviewer can read and a reloaded miner routes exactly like the
one that saved it."""

from __future__ import annotations

from typing import Any

from drain3.drain import Node

__all__ = ["dump_node", "load_node"]


def dump_node(node: Node) -> dict:
    out: dict[str, Any] = {}
    if node.key_to_child_node:
        out["k"] = {k: dump_node(v) for k, v in node.key_to_child_node.items()}
    if node.cluster_ids:
        out["c"] = list(node.cluster_ids)
    return out


def load_node(data: dict) -> Node:
    node = Node()
    node.key_to_child_node = {str(k): load_node(v) for k, v in data.get("k", {}).items()}
    node.cluster_ids = [int(c) for c in data.get("c", [])]
    return node
