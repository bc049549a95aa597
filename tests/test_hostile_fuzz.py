"""Fuzzing with Hypothesis (bounded and derandomized, so CI sees the same examples each run):
questions and conversation history, upload file names, file contents of every supported type,
and paths given to `briefing ingest`. Whatever comes in, the answer is an Answer or a BadInput
with a message, never a crash; uploads never land outside their folder."""

from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.cli.main import main
from assistant.config import Settings
from assistant.engine import Engine, build_engine
from assistant.errors import BadInput
from assistant.ingest.loaders import SUPPORTED, LoadedDocument, Unreadable, load
from assistant.models.embedding import Embedder
from assistant.web.uploads import safe_upload_name, save_upload

from .support.paths import CORPUS
from .support.store_checks import check_store

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any character, including what ordinary text strategies leave out: lone surrogates (invalid
# UTF-8), C0/C1 controls, direction overrides, zero-width characters.
ODD = ["\ud800", "\udcff", "\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\u200b", "\ufeff"]
CHARS = st.one_of(st.characters(), st.sampled_from(ODD), st.sampled_from(list("[]<>/\\.:")))
TEXT = st.text(CHARS, max_size=400)


def _clean(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in text)


@FUZZ
@given(question=st.one_of(TEXT, st.text(CHARS, min_size=1900, max_size=2100)))
def test_any_question_is_checked_into_clean_text_or_refused(
    seed_engine: Engine, question: str
) -> None:
    try:
        cleaned = seed_engine.check_question(question)
    except BadInput as exc:
        assert str(exc)
        return
    assert cleaned and len(cleaned) <= seed_engine.settings.max_question_chars
    assert _clean(cleaned) and cleaned == cleaned.strip()


TURN = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", ""]), "content": TEXT}
)
HISTORY = st.one_of(
    st.lists(TURN, max_size=4), st.lists(st.one_of(TURN, st.none(), st.integers()), max_size=3)
)


@settings(FUZZ, max_examples=40)
@given(question=TEXT, history=HISTORY)
def test_any_question_and_history_give_an_answer_or_a_clear_error(
    seed_engine: Engine, question: str, history: list[Any]
) -> None:
    try:
        answer = seed_engine.ask(question, history)
    except BadInput as exc:
        assert str(exc)
        return
    assert answer.model_dump_json()  # serialisable: no lone surrogate anywhere
    for citation in answer.citations:
        text = seed_engine.document_text(citation.doc_id)
        assert text is not None
        assert text[citation.char_start : citation.char_end] == citation.quote


@FUZZ
@given(name=st.text(CHARS, max_size=300))
def test_an_upload_name_never_leaves_the_uploads_folder(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    try:
        safe = safe_upload_name(name)
    except BadInput as exc:
        assert "“" in str(exc)
        return
    assert "/" not in safe and "\\" not in safe and safe not in (".", "..")
    assert not safe.startswith(".") and len(safe) <= 180 and "." in safe
    assert _clean(safe)
    folder = tmp_path_factory.mktemp("uploads")
    source = folder.parent / f"{folder.name}-source.txt"
    source.write_text("The Quorvel lighthouse was rebuilt in 1911.\n", encoding="utf-8")
    target = save_upload(source, name, folder)
    assert target.resolve().parent == folder.resolve() and target.read_bytes()


@FUZZ
@given(
    suffix=st.sampled_from(SUPPORTED),
    data=st.one_of(
        st.binary(max_size=3000),
        TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [b"%PDF-1.4\n", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer<<>>", b"\xef\xbb\xbf"]
        ),
    ),
)
def test_any_file_contents_load_or_are_refused_with_a_reason(suffix: str, data: bytes) -> None:
    try:
        document = load(Path(f"fuzz{suffix}"), data)
    except Unreadable as exc:
        assert str(exc)
        return
    assert isinstance(document, LoadedDocument) and document.text.strip()
    assert _clean(document.text.replace("\n", " ").replace("\t", " "))
    assert document.title


NAME_CHARS = st.characters(
    exclude_characters="/\x00", exclude_categories=["Cs"], max_codepoint=0x2FFF
)
FILE_NAME = st.text(NAME_CHARS, min_size=1, max_size=60).filter(
    lambda n: n not in (".", "..") and len(n.encode("utf-8")) <= 200
)


@settings(FUZZ, max_examples=25)
@given(
    names=st.lists(FILE_NAME, min_size=1, max_size=3, unique_by=lambda n: n.lower()),
    suffix=st.sampled_from([".txt", ".md", ".html"]),
    raw=st.lists(st.sampled_from([b"\xff\xfe", b"caf\xe9"]), max_size=1),
)
def test_folders_with_odd_file_names_ingest_or_skip_each_file(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: Embedder,
    names: list[str],
    suffix: str,
    raw: list[bytes],
) -> None:
    folder = tmp_path_factory.mktemp("odd-names") / "docs"
    folder.mkdir()
    for number, name in enumerate(names):
        text = f"Note {number}: the bridge in {string.ascii_uppercase[number]}ville opened in 19{number}0."
        (folder / f"{name}{suffix}").write_text(text, encoding="utf-8")
    for stem in raw:  # file names that are not UTF-8 at all
        with open(os.fsencode(folder) + b"/" + stem + suffix.encode(), "wb") as handle:
            handle.write(b"The ferry runs every 40 minutes.\n")
    engine = build_engine(Settings(data_dir=folder.parent / "data", corpus_dir=CORPUS), embedder)
    report = engine.ingest([folder])
    assert len(report.added) + len(report.skipped) == len(names) + len(raw)
    assert sum("not UTF-8" in s.reason for s in report.skipped) == len(raw)
    ingested = [Path(p) for p in report.added]
    check_store(engine, ingested, sample=1)
    for path in ingested:
        assert engine.ask(f"When did the bridge open? {path.stem[:20]}").question


@settings(FUZZ, max_examples=25)
@given(path=st.text(CHARS, min_size=1, max_size=120))
def test_ingest_of_any_missing_path_is_a_clear_error(tmp_path: Path, path: str) -> None:
    missing = tmp_path / "absent" / path.replace("/", "_").replace("\x00", "_")
    result = CliRunner().invoke(
        main, ["ingest", str(missing)], env={"BRIEFING_DATA_DIR": str(tmp_path / "data")}
    )
    assert result.exit_code == 2, result.output
    assert "No such file or folder" in result.output
