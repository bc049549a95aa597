"""The constants a briefing is tuned by, in one typed object a benchmark can sweep.

Each default says what it was chosen on. "Seed" is corpus/north-korean-troops-in-russia.txt;
"BBC" is the 2,225 articles of ../shared/data/bbc-news (benchmarks/brief_bench.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BriefTuning:
    # --- scope -------------------------------------------------------------------------------
    # Most documents one briefing reads. A whole-library scope above this is capped (most
    # recently ingested first) and says so: reading 200 BBC articles keeps the briefing
    # under ~150 MB of extra memory and a few seconds; the whole corpus would not.
    max_documents: int = 200
    # Most characters read over all documents (a few very long documents cap it sooner).
    max_chars: int = 2_000_000
    # Chunks retrieved for a topic; documents are ranked by their best chunk. 150 chunks
    # reach all 27 BBC articles that name Yukos; 50 reached 19 of them.
    topic_depth: int = 150
    # A document is about the topic when its best chunk holds this share of the topic's
    # content words (weighted by rarity in the library) ...
    topic_coverage: float = 0.6
    # ... or its best chunk is this close in meaning (cosine) to the topic.
    topic_similarity: float = 0.55
    # Closest titles named when a topic matches nothing.
    closest_titles: int = 3

    # --- ranking -----------------------------------------------------------------------------
    # Weight of a sentence's place in its document (news leads with what matters) against
    # its closeness to the document's and the scope's centroid.
    position_weight: float = 0.15
    # Weight of closeness to the topic (topic scopes only).
    topic_weight: float = 0.5
    # Maximal marginal relevance: relevance minus this times the similarity to lines
    # already chosen, so key points do not repeat each other.
    redundancy_penalty: float = 0.7
    # Added to a statement's score per other section that drew a line from it (at most 3).
    fact_weight: float = 0.08
    # Taken off a candidate key point per key point already chosen from its document (in a
    # many-document scope), and once if one was chosen from its paragraph.
    spread_penalty: float = 0.15
    # Two lines whose content words overlap this much (Jaccard) say the same thing: they are
    # merged into one line with both citations ("2 sources").
    same_statement: float = 0.6
    # Sentences shorter than this (words) are headings or fragments, not statements.
    min_statement_words: int = 6

    # --- sections ----------------------------------------------------------------------------
    key_points_min: int = 3
    key_points_max: int = 7
    # Lines per other section, the best-ranked kept: together about one page (the seed
    # article's briefing: ~45 lines, ~900 words with every quote).
    people_max: int = 10
    places_max: int = 8
    timeline_max: int = 10
    numbers_max: int = 8
    claims_max: int = 6
    unconfirmed_max: int = 6
    # Citations one line carries at most (a fact forty articles repeat needs no forty quotes).
    citations_per_line: int = 5
    # Words of context kept around a name or a figure in its line.
    clause_words: int = 22


DEFAULT_TUNING = BriefTuning()
