"""Uploads to the web app: checked before anything is saved (type, size, content), saved
under a safe name in the data folder's uploads/, where ingestion picks them up.

Kept apart from chat.py and library.py so it can be tested without Gradio.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
import uuid
from pathlib import Path

from ..errors import BadInput
from ..ingest.loaders import SUPPORTED

_UNSAFE_CHARS = re.compile(r"[^\w.\- ()+,@&']+")
_SNIFF_BYTES = 8192
UPLOADS = "uploads"  # under the data folder


def safe_upload_name(name: str) -> str:
    """The file name an upload is saved under: no folders, no `..`, no odd characters, the
    extension kept. BadInput (naming the file) when nothing safe is left."""
    parts = [p for p in re.split(r"[/\\]+", name) if p]
    if any(p.strip() == ".." for p in parts):
        raise BadInput(f"“{name}”: file names with “..” are not accepted; rename the file.")
    base = unicodedata.normalize("NFC", parts[-1] if parts else "")
    base = _UNSAFE_CHARS.sub("_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem.strip("._ "):
        raise BadInput(f"“{name}”: the file name has no usable name and extension; rename it.")
    if len(base) > 180:
        base = f"{stem[: 179 - len(suffix)]}.{suffix}"
    return base


def check_upload(path: Path, name: str, max_mb: float) -> None:
    """Reject, with a message naming the file, what ingestion could not use: an unsupported
    type, an empty, binary or too large file. Reads at most a few kilobytes."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        kinds = ", ".join(SUPPORTED)
        raise BadInput(f"“{name}”: unsupported file type {suffix or '(none)'}; upload {kinds}.")
    size = path.stat().st_size
    if size == 0:
        raise BadInput(f"“{name}” is empty.")
    if size > max_mb * 1024 * 1024:
        raise BadInput(
            f"“{name}” is {size / 1024 / 1024:.1f} MB; the limit is {max_mb:g} MB "
            "(BRIEFING_UPLOAD_MAX_MB)."
        )
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if suffix == ".pdf":
        if not head.lstrip().startswith(b"%PDF"):
            raise BadInput(f"“{name}” is not a PDF file (it does not start with %PDF).")
    elif b"\x00" in head:
        raise BadInput(f"“{name}” looks like a binary file, not {suffix} text.")
    elif not head.strip():
        raise BadInput(f"“{name}” holds only white space.")


def save_upload(source: Path, name: str, folder: Path, *, replace: bool = False) -> Path:
    """Copy an upload into ``folder`` under its safe name. A different file already there under
    that name is kept (the new one gets `name (2).ext`) unless ``replace`` is set; the same file
    again reuses its path, so ingestion sees it as unchanged."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = safe_upload_name(name)
    target = folder / safe
    if target.exists() and not replace and not _same_bytes(source, target):
        stem, suffix = Path(safe).stem, Path(safe).suffix
        number = 2
        while target.exists() and not _same_bytes(source, target):
            target = folder / f"{stem} ({number}){suffix}"
            number += 1
    if target.resolve().parent != folder.resolve():  # belt and braces: never leave the folder
        raise BadInput(f"“{name}”: cannot be saved under that name.")
    if not (target.exists() and _same_bytes(source, target)):
        # Copied under a hidden name and renamed: a server stopped mid-copy leaves no truncated
        # file that the next start would take for a whole upload (ingestion skips dot-files).
        partial = folder / f".{uuid.uuid4().hex}.partial"
        try:
            shutil.copyfile(source, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            block = fa.read(1 << 20)
            if block != fb.read(1 << 20):
                return False
            if not block:
                return True
