"""The shipped reader: it loads offline with its hash checked, answers the seed article's
questions with a short span inside a cited quote, refuses what the article does not say, and
reads a passage longer than its window in overlapping windows."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant import build_engine
from assistant.answer.reader import ReaderAnswerer, ReaderTuning, wants_several
from assistant.engine import Engine
from assistant.models.reader import (
    Reader,
    ReaderUnavailable,
    WindowSpec,
    model_folder,
    read_manifest,
    windows,
)
from assistant.types import Answer, Passage

from .support.paths import SEED_ARTICLE


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(threads=2)


@pytest.fixture(scope="module")
def reader_engine(seed_engine: Engine) -> Engine:
    """The seed store, answered in reader mode (a twin engine over the same store)."""
    settings = seed_engine.settings.model_copy(update={"answer_mode": "reader"})
    return build_engine(settings, seed_engine.embedder())


def _ask(engine: Engine, question: str) -> Answer:
    return engine.ask(question)


def _span_inside_quote(answer: Answer) -> str:
    short = answer.short_answer
    assert short is not None and not answer.abstained
    cited = answer.citations[short.citation - 1]
    assert cited.quote[short.start : short.end] == short.text
    assert (cited.answer_start, cited.answer_end) == (short.start, short.end)
    assert 0.0 < short.probability <= 1.0
    return short.text


# --- the packaged model -------------------------------------------------------------------
def test_the_packaged_model_matches_its_manifest() -> None:
    info = read_manifest()
    digest = hashlib.sha256((model_folder() / "model.onnx").read_bytes()).hexdigest()
    assert digest == info.sha256
    assert (model_folder() / "MODEL_CARD.md").is_file()
    size_mb = (model_folder() / "model.onnx").stat().st_size / 1e6
    assert size_mb < 30, f"the shipped reader is {size_mb:.1f} MB"
    assert 0.0 < info.threshold < 1.0


def _copy_model(tmp_path: Path) -> Path:
    folder = tmp_path / "reader_model"
    shutil.copytree(model_folder(), folder)
    return folder


def test_a_tampered_model_is_refused_naming_the_file_its_hash_and_the_fix(tmp_path: Path) -> None:
    folder = _copy_model(tmp_path)
    path = folder / "model.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ReaderUnavailable) as caught:
        Reader(folder=folder)
    message = str(caught.value)
    assert str(path) in message and read_manifest(folder).sha256 in message
    assert "make train-reader" in message and "git checkout" in message


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_a_missing_or_truncated_model_is_refused(tmp_path: Path, damage: str) -> None:
    folder = _copy_model(tmp_path)
    path = folder / "model.onnx"
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ReaderUnavailable, match="expected"):
        Reader(folder=folder)


def test_the_sentence_scorer_answers_while_the_model_is_broken(
    tmp_path: Path, make_engine: Callable[..., Engine]
) -> None:
    folder = _copy_model(tmp_path)
    (folder / "model.onnx").write_bytes(b"not a model")
    engine = make_engine(reader_dir=folder, answer_mode="reader")
    engine.ingest()
    answer = engine.ask("Who is the spokesperson for the Defense Department?")
    assert not answer.abstained and "Dietz" in answer.text
    assert answer.short_answer is None
    assert answer.notice and str(folder / "model.onnx") in answer.notice
    assert "make train-reader" in answer.notice
    again = engine.ask("What did Kim Jong Un and Putin sign?")  # no second hash, same notice
    assert again.notice == answer.notice


# --- answering the seed article ------------------------------------------------------------
# Issue 13's own examples the shipped reader still misses (its probability for the right
# sentence is 0.11-0.40 on this article): strict, so a better model turns them into failures
# to be promoted to passing cases.
_MISSED = pytest.mark.xfail(strict=True, reason="the shipped reader misses it (issue 13 note)")


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("Who is the spokesperson for the Defense Department?", "dietz"),
        ("How many North Korean troops are expected to take part in the conflict?", "10,000"),
        ("Which journalist reported on the soldiers' internet use?", "rachman"),
        ("In which month was the South Korean intelligence report published?", "october"),
        ("What region saw a surprise Ukrainian raid?", "kursk"),
        pytest.param("What happened in June?", "pact", marks=_MISSED),
        pytest.param(
            "To which city did Pacific Fleet ships ferry the soldiers?",
            "vladivostok",
            marks=_MISSED,
        ),
    ],
)
def test_the_reader_answers_with_a_span_inside_a_cited_quote(
    reader_engine: Engine, question: str, wanted: str
) -> None:
    answer = _ask(reader_engine, question)
    span = _span_inside_quote(answer)
    # June: the span may be the signing itself; the pact is then in its sentence.
    assert wanted in span.lower() or (wanted == "pact" and wanted in answer.text.lower())


@pytest.mark.parametrize(
    "question",
    [
        "Which satellite company supplied the imagery?",
        "What punishment awaits soldiers who watched pornography?",
        "When did the North Korean troops arrive in Kyiv?",
        "How many North Korean soldiers have been killed in Kursk?",
        pytest.param("Who commands the North Korean brigades in Khabarovsk?", marks=_MISSED),
    ],
)
def test_the_reader_abstains_where_the_article_does_not_say(
    reader_engine: Engine, question: str
) -> None:
    answer = _ask(reader_engine, question)
    assert answer.abstained, f"answered {answer.short_answer} / {answer.text[:120]!r}"
    assert answer.short_answer is None and not answer.citations
    assert answer.passages  # the closest passages are still shown


def test_a_list_question_collects_spans_of_several_sentences(reader_engine: Engine) -> None:
    answer = _ask(reader_engine, "Name the Far East locations where the brigades were assembled.")
    assert not answer.abstained
    text = answer.text.lower()
    assert sum(place in text for place in ("ussuriysk", "khabarovsk", "blagoveshchensk")) >= 2


def test_json_carries_the_short_answer(reader_engine: Engine) -> None:
    answer = _ask(reader_engine, "Who is the spokesperson for the Defense Department?")
    dumped = answer.model_dump(mode="json")
    assert dumped["short_answer"]["text"] == answer.short_answer.text  # type: ignore[union-attr]
    assert dumped["citations"][0]["answer_start"] == answer.short_answer.start  # type: ignore[union-attr]


# --- windows --------------------------------------------------------------------------------
def test_a_passage_longer_than_the_window_is_read_in_overlapping_windows(reader: Reader) -> None:
    filler = " ".join(
        f"Paragraph {i} describes the weather in the northern valley on an ordinary day."
        for i in range(60)
    )
    passage = filler + " The treaty was signed in the city of Marrakesh in 1996."
    spec = reader.info.spec
    laid = windows(reader.tokenizer, "Where was the treaty signed?", passage, spec)
    assert len(laid) > 2 and all(len(w.ids) <= spec.max_tokens for w in laid)
    # Consecutive windows share `overlap` passage tokens; together they cover every token.
    covered = {o for w in laid for o in w.offsets}
    assert len(covered) == len(reader.tokenizer.encode(passage, add_special_tokens=False).ids)
    assert laid[1].offsets[0] == laid[0].offsets[len(laid[0].offsets) - spec.overlap]
    span = reader.read("Where was the treaty signed?", [passage])[0]
    assert span is not None and "Marrakesh" in span.text


def test_a_question_longer_than_its_share_of_the_window_keeps_the_whole_passage(
    reader: Reader,
) -> None:
    spec = WindowSpec(max_tokens=64, max_question_tokens=16, overlap=8)
    question = "What " + "very " * 100 + "big city is named?"
    laid = windows(reader.tokenizer, question, "Rome is a big city. " * 20, spec)
    assert all(len(w.ids) <= 64 for w in laid)
    covered = {o for w in laid for o in w.offsets}
    passage_tokens = reader.tokenizer.encode("Rome is a big city. " * 20, add_special_tokens=False)
    assert len(covered) == len(passage_tokens.ids)


# --- question kinds ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "several"),
    [
        ("Who is the spokesperson?", False),
        ("Why did North Korea deploy troops?", False),
        ("How did the troops get from Korea to the front?", True),
        ("Summarize how the troops got from Korea to the front", True),
        ("Name the Far East locations where the brigades were assembled.", True),
        ("What kinds of forces did Kim Jong Un plan to deploy?", True),
    ],
)
def test_questions_asking_for_several_things(question: str, several: bool) -> None:
    assert wants_several(question) is several


# --- reading the retriever's best first ---------------------------------------------------
class _Counting:
    """The real reader, with the passages of each call to read() recorded."""

    def __init__(self, reader: Reader) -> None:
        self.reader, self.calls = reader, []
        self.info = reader.info

    def read(self, question: str, texts: list[str]) -> list:
        self.calls.append(len(texts))
        return self.reader.read(question, texts)


def _paragraph_passages(count: int) -> list[Passage]:
    """The seed article's paragraphs as separate passages, the spokesperson's first."""
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    paragraphs.sort(key=lambda p: "Charlie Dietz" not in p)  # stable: the rest keep their order
    found, at = [], 0
    for number, paragraph in enumerate(paragraphs[:count], 1):
        at = text.index(paragraph)
        found.append(
            Passage(
                chunk_id=f"p{number}",
                doc_id="seed",
                title="seed",
                source="seed",
                text=paragraph,
                paragraph_start=number,
                paragraph_end=number,
                char_start=at,
                char_end=at + len(paragraph),
                rank=number,
            )  # fmt: skip
        )
    return found


@pytest.mark.parametrize(
    ("question", "calls"),
    [
        # a confident answer among the first five: the rest is not read
        ("Who is the spokesperson for the Defense Department?", [5]),
        # nothing confident in the first five: the rest is read too
        ("Which satellite company supplied the imagery?", [5, 5]),
        # a list question reads all of them at once
        ("Name the Far East locations where the troops trained.", [10]),
    ],
)
def test_the_rest_of_the_list_is_read_only_when_the_first_passages_do_not_answer(
    reader: Reader, question: str, calls: list[int]
) -> None:
    counting = _Counting(reader)
    answerer = ReaderAnswerer(counting, ReaderTuning(first=5))  # type: ignore[arg-type]
    passages = _paragraph_passages(10)
    assert len(passages) == 10
    reading = answerer.read(question, passages)
    assert counting.calls == calls
    assert sorted(p.chunk_id for p in reading.ranked) == sorted(p.chunk_id for p in passages)
    if calls == [5]:
        assert "Dietz" in reading.quotes[0].answer and not reading.abstained
        # the passages left unread keep the retriever's order, after those read
        assert [p.rank for p in reading.ranked[5:]] == [6, 7, 8, 9, 10]
