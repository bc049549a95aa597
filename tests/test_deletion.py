"""Deleting a document removes every copy the app made of it: its chunks and record, the BM25
index and term statistics built over it (in memory and saved under data/cache), the uploaded
file, Gradio's copy of the upload and the exports that quote it. A refused upload leaves no
copy either. (What stays in Chroma's own files is said in SECURITY.md.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.engine import Engine
from assistant.web.library import Library
from assistant.web.tempfiles import TempFolder

WORD = "Zanzibarquux"
MEMO = "Harbour Memo\n\nThe Zanzibarquux dredging will cost 14 million euros, said Marta Quist.\n"
NOTICE = "Ferry Notice\n\nThe ferry to Lindholm runs at noon from the east pier.\n"


def _holding(folder: Path, word: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and word.encode() in p.read_bytes()]


def test_a_deleted_document_leaves_no_cached_index_or_statistics(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "memo.txt").write_text(MEMO, encoding="utf-8")
    (corpus / "notice.txt").write_text(NOTICE, encoding="utf-8")
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    assert "14 million" in engine.ask("How much will the Zanzibarquux dredging cost?").text
    cache = engine.settings.data_dir / "cache"
    assert _holding(cache, WORD), "the BM25 index was saved with the memo in it"
    assert engine.retriever.term_stats().df.get(WORD.lower()), "and counted its words"

    memo = next(d for d in engine.documents() if d.title == "Harbour Memo")
    assert engine.delete_document(memo.doc_id)
    assert _holding(cache, WORD) == []
    assert WORD.lower() not in engine.retriever.term_stats().df
    assert "noon" in engine.ask("When does the ferry to Lindholm run?").text
    assert _holding(cache, WORD) == [], "the index saved again holds only what is left"


def test_the_library_keeps_no_copy_of_uploads_and_deletes_every_one(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    engine = make_engine(corpus_dir=tmp_path / "empty")
    temp = TempFolder(tmp_path / "gradio", owned=True)
    library = Library(engine, temp)

    def gradio_copy(folder: str, name: str, text: str) -> Path:
        path = temp.root / folder / name
        path.parent.mkdir(parents=True)
        path.write_text(text, encoding="utf-8")
        return path

    accepted = gradio_copy("h1", "memo.txt", MEMO)
    refused = gradio_copy("h2", "beacon.svg", f"<svg><script>alert('{WORD}')</script></svg>")
    status = library.upload([str(accepted), str(refused)], False, progress=lambda *a, **k: None)[0]
    assert "“memo.txt” added" in status and "unsupported file type .svg" in status
    assert not accepted.exists() and not refused.exists() and _holding(temp.root, WORD) == []
    saved = engine.settings.data_dir / "uploads" / "memo.txt"
    assert saved.exists()

    # Another copy of the same bytes (an upload the page never handed over), and exports.
    stray = gradio_copy("h3", "memo (copy).txt", MEMO)
    quoting = temp.export_path("conversation", "briefing-conversation.md")
    quoting.write_text(f"1. *Harbour Memo*, paragraph 2: “The {WORD} dredging”", "utf-8")
    other = temp.export_path("briefing", "briefing.md")
    other.write_text("1. Ferry Notice, paragraph 2: “The ferry”", encoding="utf-8")

    memo = engine.documents()[0]
    message = library.delete(memo.doc_id)[0]
    assert message == "Deleted “Harbour Memo” and its uploaded file."
    assert not saved.exists() and not stray.exists() and not quoting.exists()
    assert other.exists()
    assert _holding(engine.settings.data_dir, WORD) == _holding(
        engine.settings.data_dir / "chroma", WORD
    ), "outside Chroma's files nothing holds it"
    assert _holding(temp.root, WORD) == []
