"""The package as a user installs it: a wheel built from the repo, installed (not editable) into
a fresh virtual environment, run from an empty folder with a fresh HOME. It must ingest, answer
with a citation and serve, write its data to the user's folders, and write nothing inside the
installation.

To stay fast the new environment gets the test environment's dependencies through a .pth file
instead of downloading them again. A path line in a .pth file does not process that folder's
own .pth files, so the editable install of the source tree stays out: the test checks that
`assistant` is imported from the new environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from pathlib import Path

import pytest

from .support.paths import ROOT, SEED_ARTICLE
from .support.web_helpers import free_port

TEMPLATES = {
    "abstain",
    "answer",
    "condense",
    "judge_correctness",
    "judge_faithfulness",
    "system",
}


def _source_copy(target: Path) -> Path:
    """The files git tracks (what a clean clone holds), or the working tree without caches."""
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(ROOT),
            "ls-files",
            "-z",
            "--",
            "assistant",
            "pyproject.toml",
            "README.md",
        ],
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0 or not listed.stdout:
        shutil.copytree(
            ROOT / "assistant", target / "assistant", ignore=shutil.ignore_patterns("__pycache__")
        )
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, target / name)
        return target
    for name in listed.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the wheel installed; returns its folder."""
    base = tmp_path_factory.mktemp("package")
    source = _source_copy(base / "src")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(base / "dist"), str(source)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = (base / "dist").glob("briefing_assistant-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {f"assistant/prompts/{t}.txt" for t in TEMPLATES} <= set(names), names

    env_dir = base / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    purelib = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    (purelib / "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir


def _environment(home: Path) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "BRIEFING_ENV_FILE")
    env = {k: v for k, v in os.environ.items() if k in keep}
    return env | {
        "HOME": str(home),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }


def test_the_wheel_ingests_answers_and_serves_from_an_empty_folder(
    installed: Path, tmp_path: Path
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    folder = work / "some" / "folder"
    folder.mkdir(parents=True)
    shutil.copy2(SEED_ARTICLE, folder / SEED_ARTICLE.name)
    env = _environment(home)
    briefing = str(installed / "bin" / "briefing")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [briefing, *args], cwd=work, env=env, capture_output=True, text=True, timeout=600
        )

    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import assistant; print(assistant.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(installed), f"not the installed copy: {where}"
    before = _tree(installed)

    ingested = run("ingest", "some/folder")
    assert ingested.returncode == 0, ingested.stderr
    assert "1 added" in ingested.stdout
    asked = run("ask", "Who is the Defense Department spokesperson?")
    assert asked.returncode == 0, asked.stderr
    assert "Dietz" in asked.stdout and "[1]" in asked.stdout and "Sources:" in asked.stdout
    data = home / ".local" / "share" / "briefing-assistant"
    settings = run("settings")
    assert settings.returncode == 0, settings.stderr
    assert f"BRIEFING_DATA_DIR  (default: {data})" in settings.stdout
    assert (data / "chroma").is_dir()

    served = subprocess.Popen(
        [briefing, "serve", "--port", str(free_port())],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output = ""
    try:
        deadline = time.monotonic() + 400
        assert served.stdout is not None
        while "Ready to answer" not in output and time.monotonic() < deadline:
            line = served.stdout.readline()
            if not line and served.poll() is not None:
                break
            output += line
    finally:
        served.terminate()
        served.wait(30)
    assert "Ready to answer" in output, output
    assert "warning:" not in output, output  # the default corpus folder is absent: no error

    assert sorted(p.name for p in work.iterdir()) == ["some"], "files written to the working folder"
    assert _tree(installed) == before, "files written inside the installation"
