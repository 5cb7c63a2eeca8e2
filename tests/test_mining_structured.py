"""Miner: structured messages (request lines, JSON, key=value) and the statistical merge pass."""

from __future__ import annotations

import pytest

from logpilot_kernel.ingest.mining import TemplateMiner
from logpilot_kernel.ingest.mining_merge import Unit, merge_units


def _mine(msgs: list[str], **settings) -> tuple[list[str], list[list[str]]]:
    res = TemplateMiner(settings=settings or None).mine(msgs)
    return res.template.to_pylist(), res.params.to_pylist()


def test_request_lines_are_templated_by_method_route_and_status_class() -> None:
    msgs = ["GET /api/orders/123?page=2&sort=asc HTTP/1.1 200 512 3ms",
            "GET /api/orders/9876?page=3&sort=desc HTTP/1.1 201 51 4ms",
            "GET /api/orders/55 HTTP/1.1 404 0 1ms",
            "GET /api/users/55 HTTP/1.1 404 0 1ms",
            "POST /api/orders/7 HTTP/1.1 500 0 9ms",
            "GET /static/app.js HTTP/2.0"]
    tpl, params = _mine(msgs)
    assert tpl[0] == tpl[1] == "GET /api/orders/<*>?page=<*>&sort=<*> HTTP/<*> 2xx <*> <*>"
    assert params[0] == ["123", "2", "asc", "1.1", "512", "3ms"]
    assert tpl[2] == "GET /api/orders/<*> HTTP/<*> 4xx <*> <*>"
    assert tpl[3] == "GET /api/users/<*> HTTP/<*> 4xx <*> <*>"  # another route, another template
    assert tpl[4] == "POST /api/orders/<*> HTTP/<*> 5xx <*> <*>"
    assert tpl[5] == "GET /static/app.js HTTP/<*>"
    assert len(set(tpl)) == 5


def test_route_words_become_variables_when_they_vary_and_stay_when_they_do_not() -> None:
    users = ["alice", "bob", "carol", "dave"]
    msgs = [f"POST /api/users/{u}/avatar HTTP/1.1" for u in users] + ["GET /api/health HTTP/1.1"] * 3
    tpl, params = _mine(msgs)
    assert set(tpl[:4]) == {"POST /api/users/<*>/avatar HTTP/<*>"}
    assert [p[0] for p in params[:4]] == users
    assert tpl[4] == "GET /api/health HTTP/<*>"


def test_json_and_key_value_records_are_templated_by_their_keys() -> None:
    msgs = ['{"level":"info","user":"bob","took":12}', '{"level":"warn","user":"al","took":3}',
            '{"level":"info","order":"o-1"}',
            "level=info user=bob action=login", "level=error user=al action=logout",
            'level=info msg="user logged in" user=x']
    tpl, params = _mine(msgs)
    assert tpl[0] == tpl[1] == '{"level":"<*>","user":"<*>","took":<*>}'
    assert params[1] == ["warn", "al", "3"]
    assert tpl[2] == '{"level":"<*>","order":"<*>"}'
    assert tpl[3] == tpl[4] == "level=<*> user=<*> action=<*>"
    assert tpl[5] == 'level=<*> msg="user logged in" user=<*>'  # free text stays text


def test_a_json_record_and_a_key_value_record_with_the_same_keys_stay_apart() -> None:
    tpl, _ = _mine(['{"a":"x","b":"y"}', "a=x b=y"])
    assert tpl[0] != tpl[1]


def test_prose_with_a_few_pairs_is_not_a_record() -> None:
    tpl, _ = _mine(["session opened for user root by (uid=0)", "session opened for user news by (uid=9)",
                    "session opened for user mail by (uid=8)"])
    assert tpl[0] == "session opened for user <*> by (uid=<*>)"


def test_key_value_share_setting_controls_mixed_messages() -> None:
    msg = ["auth failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=10.1.2.3"]
    assert _mine(msg, kv_share=1.0)[0] == ["auth failure; logname= uid=<*> euid=<*> tty=NODEVssh ruser= rhost=<*>"]
    assert _mine(msg, kv_share=0.75)[0] == ["auth failure; logname= uid=<*> euid=<*> tty=<*> ruser= rhost=<*>"]


def test_word_values_merge_by_statistics_and_two_words_stay_events() -> None:
    hosts = ["alpha", "bravo", "charlie", "delta", "echo"]
    msgs = [f"connection to {h} lost" for h in hosts] + ["disk startup done", "disk shutdown done"]
    tpl, params = _mine(msgs)
    assert set(tpl[:5]) == {"connection to <*> lost"}
    assert [p for p in params[:5]] == [[h] for h in hosts]
    assert tpl[5:] == ["disk startup done", "disk shutdown done"]
    off, _ = _mine(msgs, var_min=0)
    assert len(set(off[:5])) > 1  # without the pass Drain keeps most apart at this threshold


def test_merge_pass_moves_several_co_varying_positions_together() -> None:
    pairs = [("alice", "hostA"), ("bob", "hostB"), ("carol", "hostC")]
    tpl, params = _mine([f"user {u} logged in from {h} via ssh" for u, h in pairs])
    assert set(tpl) == {"user <*> logged in from <*> via ssh"}
    assert params[2] == ["carol", "hostC"]


def test_merge_units_keeps_literals_and_refuses_to_melt_unrelated_events() -> None:
    shape = (("", " ", " "), "")
    units = {f"T{i}": Unit(tuple(t.split()), shape, i) for i, t in enumerate(
        ["alpha beta gamma", "delta epsilon zeta", "eta theta iota"])}
    assert merge_units(dict(units), 2) == {}  # nothing in common: no merge
    frozen = {f"F{i}": Unit(("open", f"f{i}x", "now"), shape, i) for i in range(3)}
    m = merge_units(frozen, 3, frozen={"F0", "F1", "F2"})
    assert m == {}  # three ids already stored elsewhere never disappear in one merge
    live = {f"F{i}": Unit(("open", f"f{i}x", "now"), shape, i) for i in range(3)}
    assert merge_units(live, 3, frozen={"F1"}) == {"F0": "F1", "F2": "F1"}
    assert live["F1"].tokens == ("open", "<*>", "now")


@pytest.mark.parametrize("text,expected", [
    ("took 00:01:05 to finish", "took <*> to finish"),   # clock-style duration
    ("lifetime 2:03 ok", "lifetime <*> ok"),
    ("ran 1h2m3s total", "ran <*> total"),
    ("sent 1.25 KB in", "sent <*> in"),
    ("to proxy.example.org:5070 now", "to <*> now"),
    ("id 550e8400-e29b-41d4-a716-446655440000 x", "id <*> x"),
    ("addr fe80::1 up", "addr <*> up"),                   # IPv6, compressed
    ("addr 2001:db8:0:0:0:ff00:42:8329 up", "addr <*> up"),
    ("card 00:1A:2B:3C:4D:5E:6F:70:81:92 up", "card <*> up"),  # a long hex run stays one value
    ("std::vector used", "std::vector used"),             # a C++ scope is not an address
    ("Session: 30546173_4261722401 initialized", "Session: <*> initialized"),  # numbers joined by _
    ("Loaded C:\\Windows\\winsxs\\cbscore.dll ok", "Loaded <*> ok"),   # drive-letter path
    ("at 10:30 and a:b", "at <*> and a:b"),
])
def test_value_class_masks(text: str, expected: str) -> None:
    assert _mine([text])[0] == [expected]


def test_values_glued_by_punctuation_are_one_value() -> None:
    tpl, params = _mine(["steps=1514038080000##7007##548365", "retry 3/5 for job"], glue=True)
    assert tpl == ["steps=<*>", "retry <*> for job"]
    assert params == [["1514038080000##7007##548365"], ["3/5"]]
    assert _mine(["retry 3/5 for job"], glue=False)[0] == ["retry <*>/<*> for job"]


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError):
        TemplateMiner(settings={"similarity": 0.5})
