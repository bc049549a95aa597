"""Which SQuAD dev articles the reader may learn from, and which are held out.

Only the SQuAD dev sets are available here (../shared/data). The rule, fixed before any
training (issue 13):
- trained on: the SQuAD v2.0 dev articles whose position in ``dev-v2.0.json``'s ``data`` list is
  not a multiple of 5 (28 articles), with the v1.1 questions of those articles added;
- held out, never trained or tuned on: the 7 v2.0 articles at positions 0, 5, ..., 30, and the
  13 articles that only v1.1 has.
Hyperparameters and thresholds are chosen on a fold of the training articles (every fourth
of them, 7 articles), never on held-out ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
V2 = SHARED / "squad-v2.0-dev" / "dev-v2.0.json"
V1 = SHARED / "squad-v1.1-dev" / "dev-v1.1.json"
DEV_FOLD = 3  # training articles at positions 3, 7, 11, ... of the training list form the fold


@dataclass
class Question:
    id: str
    question: str
    context: str
    answers: list[dict]  # [{"text", "answer_start"}], empty when unanswerable
    article: str
    paragraph: int  # 0-based index in the article

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass
class Article:
    title: str
    paragraphs: list[str]
    questions: list[Question] = field(default_factory=list)


def _load(path: Path) -> list[dict]:
    if not path.is_file():
        raise SystemExit(f"{path} is absent: the SQuAD dev sets must be in ../shared/data.")
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def _article(raw: dict) -> Article:
    article = Article(raw["title"], [p["context"] for p in raw["paragraphs"]])
    for number, paragraph in enumerate(raw["paragraphs"]):
        for qa in paragraph["qas"]:
            answers = [] if qa.get("is_impossible") else qa["answers"]
            article.questions.append(
                Question(
                    qa["id"], qa["question"], paragraph["context"], answers, raw["title"], number
                )
            )
    return article


def training_articles() -> list[Article]:
    """The 28 training articles: v2.0 questions, plus v1.1 questions v2.0 does not have."""
    v1 = {raw["title"]: raw for raw in _load(V1)}
    found = []
    for position, raw in enumerate(_load(V2)):
        if position % 5 == 0:
            continue
        article = _article(raw)
        seen = {q.id for q in article.questions}
        extra = _article(v1[raw["title"]]) if raw["title"] in v1 else Article(raw["title"], [])
        by_context = {text: i for i, text in enumerate(article.paragraphs)}
        for q in extra.questions:
            if q.id not in seen and q.context in by_context:
                q.paragraph = by_context[q.context]
                article.questions.append(q)
        found.append(article)
    return found


def held_out_titles() -> tuple[list[str], list[str]]:
    """(v2.0 held-out titles, v1.1-only titles)."""
    v2 = _load(V2)
    v2_titles = {raw["title"] for raw in v2}
    held_v2 = [raw["title"] for position, raw in enumerate(v2) if position % 5 == 0]
    only_v1 = [raw["title"] for raw in _load(V1) if raw["title"] not in v2_titles]
    return held_v2, only_v1


def held_out_articles(version: str) -> list[Article]:
    """Held-out articles of one version: "v2" (7 articles, with unanswerable questions) or
    "v1" (the 7 held-out v2.0 articles' v1.1 questions and the 13 v1.1-only articles)."""
    held_v2, only_v1 = held_out_titles()
    if version == "v2":
        return [_article(raw) for raw in _load(V2) if raw["title"] in held_v2]
    return [_article(raw) for raw in _load(V1) if raw["title"] in {*held_v2, *only_v1}]


def folds(articles: list[Article], fold: str) -> tuple[list[Article], list[Article]]:
    """(train, dev) for ``fold``: "dev" keeps every fourth training article apart for choosing
    hyperparameters and thresholds; "all" trains on every training article."""
    if fold == "all":
        return articles, []
    dev = [a for i, a in enumerate(articles) if i % 4 == DEV_FOLD]
    return [a for i, a in enumerate(articles) if i % 4 != DEV_FOLD], dev
