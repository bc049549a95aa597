"""The hostile documents of tests/data/hostile and the questions asked of them, shared by the
engine-level and the browser tests."""

from __future__ import annotations

from .paths import ROOT

HOSTILE = ROOT / "tests" / "data" / "hostile"
MEMO = HOSTILE / "kestrel-memo.md"
NOTICE = HOSTILE / "harbour-notice.html"
BUDGET = "How much will the Kestrel water plant upgrade cost?"
TENDER = "Where is the full Kestrel tender?"
FAKE_MARKERS = "Which sources does the port notice list?"
