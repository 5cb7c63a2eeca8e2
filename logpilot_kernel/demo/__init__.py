"""Deterministic demo estate: realistic, heterogeneous logs of a small online shop.

Used by ``make demo``, by the tests of every feature and by benchmarks. ``generate`` writes
one directory per service plus ``ground_truth.json``, from which tests compute expected
answers without any parser:

=================================  ==========  =============================================
file                               service     format / severity
=================================  ==========  =============================================
gateway/access.log(.1.gz)          gateway     nginx combined; status >=500 ERROR, >=400 WARN
checkout|payment|inventory/*.jsonl  (dir name)  JSON lines; ``level`` debug/info/warn/error
postgres/postgresql.log            postgres    stderr, prefix '%m [%p] '; LOG=INFO, WARNING=WARN
firewall/syslog                    firewall    RFC 3164 UFW kernel lines; BLOCK=WARN, ALLOW=INFO
auth/auth.log                      sshd        RFC 3164 sshd; severity from words (failed...)
catalog/catalog.log(.1.gz)         catalog     Log4j with stack traces (1 record = header+stack)
=================================  ==========  =============================================

Five incidents (pool exhaustion, firewall block, expired TLS certificate, disk full, bad
deploy) are injected at seed-determined times; see :mod:`.incidents`. Same arguments give
byte-identical files; ``lines=N`` streams an estate of about N lines in bounded memory.
``extra_incidents=True`` adds three whose root cause is outside the service showing the
symptom (:mod:`.extra_incidents`); ``rename_seed=N`` renames services, context keys and
distinctive words (:mod:`.renames`), and :func:`render_question` fills the
``{svc:checkout}`` placeholders of a question set with a renamed estate's names.
"""

from .generator import generate
from .renames import render_answer, render_question
from .truth import GroundTruth

__all__ = ["generate", "GroundTruth", "render_question", "render_answer"]
