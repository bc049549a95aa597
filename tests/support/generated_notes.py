"""Generated briefing notes for the crash-safety and fault tests: seeded, so a run can be
repeated, and each note's facts known, so an answer can be checked against them."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from assistant.models.embedding import Embedder

SEED = 20240607

_SYLLABLES = "vel mor an dris kal tho ber nia sul gar ost wen lir pa dun ka ro ve ith mar".split()
_FIRST = "Anna Boris Clara Dmitri Elena Farid Greta Hiro Ines Jonas Kemal Lena Marek Nadia".split()
_LAST = "Halvorsen Okafor Brandt Moreau Santos Novak Lindqvist Reyes Tanaka Weber Haddad".split()
_MONTHS = "January February March April May June July August September October".split()
_PROJECTS = ["harbour dredging", "bridge repair", "school extension", "tram line", "flood barrier"]


def note(i: int, rng: random.Random, cost: int | None = None) -> tuple[str, dict[str, Any]]:
    place = "".join(rng.sample(_SYLLABLES, 3)).capitalize() + f" {i:03d}"
    project = rng.choice(_PROJECTS)
    cost = cost if cost is not None else rng.randint(2, 900)
    official = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    month = rng.choice(_MONTHS)
    paragraphs = [
        f"Briefing note {i:03d}: the {project} of {place}",
        f"The {project} of {place} will cost {cost} million euros, the regional council said "
        "in a statement on Monday.",
        f"Work on the {project} in {place} is planned to start in {month} and to employ "
        f"{rng.randint(20, 4000)} people at its peak.",
        f"The project is led by {official}, who told reporters that the budget for {place} "
        "had been approved after a long debate.",
        f"Residents of {place} raised concerns about noise and traffic during the construction "
        "period, and a public meeting was held in the town hall.",
        f"Opponents in {place} argued that the {project} should be postponed until an "
        f"environmental review is complete; the council rejected the motion by "
        f"{rng.randint(11, 30)} votes to {rng.randint(1, 10)}.",
        f"A first progress report on the {project} in {place} is expected within "
        f"{rng.randint(2, 11)} months of the start of work.",
    ]
    facts = {"place": place, "project": project, "cost": cost, "official": official}
    return "\n\n".join(paragraphs) + "\n", facts


def write_corpus(folder: Path, count: int, seed: int) -> dict[str, dict[str, Any]]:
    """``count`` generated briefing notes; the facts of each, by file name."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    facts = {}
    for i in range(count):
        text, facts[f"note-{i:03d}.txt"] = note(i, rng)
        (folder / f"note-{i:03d}.txt").write_text(text, encoding="utf-8")
    return facts


def backend_name(embedder: Embedder) -> str:
    return "onnx" if type(embedder).__name__ == "OnnxEmbedder" else "torch"


class Crash(BaseException):
    """The process 'dies' here (BaseException: nothing on the way may catch it)."""
