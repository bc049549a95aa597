"""The developer's own settings stay out of the tests: the autouse fixtures of conftest clear
BRIEFING_* and OPENAI_* variables and switch off the .env file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.config import ENV_FILE_VARIABLE, Settings

from .conftest import isolate_environment


def test_no_briefing_or_openai_variable_reaches_a_test() -> None:
    leaked = [n for n in os.environ if n.startswith(("BRIEFING_", "OPENAI_"))]
    assert leaked == [ENV_FILE_VARIABLE]
    assert os.environ[ENV_FILE_VARIABLE] == ""


def test_isolation_removes_variables_set_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFING_TOP_K", "9")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-developer-key")
    assert Settings().top_k == 9  # the variables do reach Settings until isolated
    isolate_environment(monkeypatch)
    settings = Settings()
    assert settings.top_k == 5 and settings.llm_api_key is None


def test_a_dotenv_file_is_read_only_when_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("BRIEFING_TOP_K=9\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert Settings().top_k == 5, "the working folder's .env must not reach a test"
    monkeypatch.setenv(ENV_FILE_VARIABLE, ".env")
    assert Settings().top_k == 9
    monkeypatch.delenv(ENV_FILE_VARIABLE)
    assert Settings().top_k == 9, "outside the tests .env in the working folder is the default"


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    default = Settings()
    for name in ("BRIEFING_READER_DIR", "BRIEFING_DATA_DIR", "BRIEFING_TOP_K", "OPENAI_BASE_URL"):
        monkeypatch.setenv(name, "")
    settings = Settings()
    assert settings.reader_dir is None, "an empty folder variable became the working folder"
    assert settings.data_dir == default.data_dir
    assert settings.top_k == default.top_k and settings.llm_base_url == default.llm_base_url
