"""The classes of the second blind estate's misses, over an invented lexicon (issue 15).

A pottery: service ``kiln`` (file kiln/kiln-daemon.log) fires batches with an ``oven``
field (values hot-one, cold-two) and a ``cause`` field (unknown_oven, cracked), and
``translator`` denies keys ("Denied key for root from <*>"), while ``kiln`` also has an
``owner`` field whose one value is root. Hosts vault02 and edge. None of these words is
the demo's or the estate's. Each test checks one reading: a service named by its file
stem ("kiln-daemon"); a service named by a word of its family ("translations" of
translator); a host named without its counter ("the vault"); "errors" as a level, never
the file error.log; a value one service holds that other services' messages write ("for
root"); the field's own name after its value ("hot-one ovens") linking no other value;
"A minus B" of two periods; "who" after a counted field; an everyday word read as nothing
only where nothing has its name ("run"); an outcome verb no message writes next to a value
("refused with a 451"); an action noun as its verb ("rotations": 'rotated'); a noun and
a skipped verb that are one template's event ("glazes produced": 'Glaze produced', not
every glaze message); "of X, what share Y" (the whole first); "glazed or chipped" (either
template); an everyday verb that opens a template of the named service ("sent"); a noun
after a grouping field that nothing here has ("per oven chamber"); a name that is a
template word elsewhere but a parameter of the other words' template ("guest" in
"Denied key for guest <*>").
"""

from __future__ import annotations

import datetime as dt

from logpilot_kernel.query import nl
from logpilot_kernel.query.lexicon import KeyInfo, Lexicon

NOW = dt.datetime(2024, 3, 8)


def _lex() -> Lexicon:
    tpl = {"kiln": [("k1", "batch fired oven=<*> cause=<*>", 500), ("k2", "door opened", 40),
                    ("k3", "Glaze produced pot=<*> took_ms=<*>", 120),
                    ("k4", "glaze production failed pot=<*>", 9),
                    ("k5", "pot glazed in <*>", 70), ("k6", "pot chipped in <*>", 3)],
           "translator": [("t1", "Denied key for root from <*>", 90),
                          ("t2", "Denied key for guest <*> from <*>", 60),
                          ("t3", "phrase rendered in <*>", 300),
                          ("t4", "Spindle rotated in <*>", 7),
                          ("t5", "sent phrase to <*>", 50)],
           "tinker": [("x1", "disk write failed", 5)]}
    words: dict[str, dict[str, int]] = {}
    for svc, rows in tpl.items():
        for _t, body, n in rows:
            for w in set(body.lower().replace("<*>", " ").replace("=", " ").split()):
                words.setdefault(w, {})[svc] = words.get(w, {}).get(svc, 0) + n
    info = {("kiln", "oven"): KeyInfo("kiln", "oven", 500, 2, "categorical",
                                      {"hot-one": 300, "cold-two": 200}),
            ("kiln", "cause"): KeyInfo("kiln", "cause", 500, 2, "categorical",
                                       {"unknown_oven": 20, "cracked": 480}),
            ("kiln", "owner"): KeyInfo("kiln", "owner", 40, 1, "categorical", {"root": 40}),
            ("kiln", "potter"): KeyInfo("kiln", "potter", 500, 80, "id", {}),
            ("kiln", "code"): KeyInfo("kiln", "code", 40, 2, "categorical", {"451": 30, "200": 10})}
    return Lexicon(services=["kiln", "tinker", "translator"], hosts=["edge", "vault02"],
                   info=info, words=words, templates=tpl,
                   origins={"kiln/kiln-daemon.log": {"kiln": 540},
                            "translator/translate.log": {"translator": 450},
                            "tinker/error.log": {"tinker": 5}},
                   rows={"kiln": 540, "translator": 450, "tinker": 5},
                   severities={"kiln": {"INFO": 500, "ERROR": 40}, "translator": {"INFO": 450},
                               "tinker": {"ERROR": 5}},
                   first=dt.datetime(2024, 3, 4), last=dt.datetime(2024, 3, 7, 23))


def _i(q: str):
    return nl.parse(q, _lex(), NOW).intent


def test_a_service_named_by_its_file_stem() -> None:
    i = _i("How many ERROR lines did kiln-daemon write?")
    assert i.services == ["kiln"] and i.severities == ("ERROR",)


def test_errors_are_a_level_not_the_file_error_log() -> None:
    i = _i("how many errors did kiln log?")
    assert i.services == ["kiln"] and "ERROR" in i.severities


def test_a_service_named_by_a_word_of_its_family() -> None:
    assert _i("how many translations were rendered?").services == ["translator"]


def test_a_host_named_without_its_counter() -> None:
    assert _i("how many keys denied on the vault?").hosts == ["vault02"]
    assert _i("how many keys denied on the edge?").hosts == ["edge"]


def test_a_value_of_one_service_that_other_messages_write() -> None:
    i = _i("how many denied keys for root?")
    assert not i.filters and "for root" in i.words and not i.services


def test_the_field_name_after_its_value_links_no_other_value() -> None:
    i = _i("how many batches fired from hot-one ovens?")
    assert i.filters == [("oven", "hot-one")]


def test_a_minus_b_of_two_periods() -> None:
    i = _i("batches fired on March 5 minus those on March 4?")
    assert len(i.compare) == 2 and i.minus


def test_who_after_a_counted_field() -> None:
    i = _i("distinct potters who fired batches?")
    assert i.measure == "distinct" and i.field and "potter" in i.field


def test_an_everyday_word_that_names_nothing() -> None:
    assert _i("how many doors were opened in every run?").words


def test_an_outcome_verb_no_message_writes_next_to_a_value() -> None:
    i = _i("how many kiln lines were refused with a 451?")
    assert i.filters == [("code", "451")] and not i.words
    assert any("refused" in n for n in i.notes)


def test_a_noun_and_a_skipped_verb_are_one_event() -> None:
    assert _i("how many glazes produced?").words == ["glaze produced"]


def test_an_action_noun_as_its_verb() -> None:
    assert _i("how many spindle rotations?").words == ["spindle rotated"]


def test_the_whole_named_before_the_share() -> None:
    i = _i("Of all kiln batches that were fired, what percentage came from hot-one ovens?")
    assert i.measure == "rate" and i.numerator is not None
    assert i.numerator.filters == [("oven", "hot-one")]


def test_two_template_words_joined_by_or() -> None:
    words = _i("how many pots glazed or chipped?").words
    assert len(words) == 1 and {"pot chipped", "pot glazed"} <= set(words[0].split("|"))


def test_an_everyday_verb_that_opens_a_template_of_the_named_service() -> None:
    assert "sent" in _i("how many phrases has translator sent?").words
    assert "sent" not in _i("how many batches were sent?").words


def test_a_noun_after_a_grouping_field_that_nothing_has() -> None:
    i = _i("how many batches fired per oven chamber?")
    assert i.group == ["ctx:oven"] and any("chamber" in n for n in i.notes)


def test_a_name_that_is_a_parameter_of_the_other_words_template() -> None:
    lex = _lex()
    lex.templates["kiln"].append(("k7", "molly stacked shelf", 4))
    lex.words.setdefault("molly", {})["kiln"] = 4
    lex.slot_values["molly"] = [("translator", "t2", 0, "molly", 6)]
    i = nl.parse("how many denied keys for molly?", lex, NOW).intent
    assert [w for w, _h in i.slot_filters] == ["molly"] and "molly" not in i.words
