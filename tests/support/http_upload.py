"""Uploading documents through the running web app the way the page does, over plain HTTP:
POST the files to Gradio's upload route, join the queue for the Documents tab's upload event,
read its server-sent events. (The event is private: hidden from the API docs and from
gradio_client, which is no access control, so tests can drive it like the browser does.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

API = "/gradio_api"


def _event(config: dict[str, Any], api_name: str) -> tuple[int, int]:
    for dependency in config["dependencies"]:
        if dependency.get("api_name") == api_name:
            return int(dependency["id"]), int(dependency["targets"][0][0])
    raise AssertionError(f"the app has no {api_name!r} event")


def run_event(
    base_url: str,
    api_name: str,
    data: list[Any],
    *,
    cookies: httpx.Cookies | None = None,
    timeout: float = 300,
) -> dict[str, Any]:
    """Run one of the page's events (by its api_name) the way the page does: join the queue,
    read the server-sent events; the completed message's output."""
    base = base_url.rstrip("/")
    with httpx.Client(base_url=base, cookies=cookies, timeout=timeout) as http:
        config = http.get("/config").raise_for_status().json()
        fn_index, trigger = _event(config, api_name)
        session = uuid.uuid4().hex
        http.post(
            f"{API}/queue/join",
            json={
                "data": data,
                "fn_index": fn_index,
                "trigger_id": trigger,
                "session_hash": session,
                "event_data": None,
            },
        ).raise_for_status()
        with http.stream("GET", f"{API}/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") == "process_completed":
                        assert message.get("success"), message
                        return dict(message.get("output") or {})
    raise AssertionError(f"the {api_name} event ended without completing")


def upload_events(
    base_url: str,
    files: list[Path],
    *,
    replace: bool = False,
    cookies: httpx.Cookies | None = None,
    timeout: float = 600,
) -> Iterator[dict[str, Any]]:
    """The server-sent messages of one upload (progress, ..., process_completed)."""
    base = base_url.rstrip("/")
    with httpx.Client(base_url=base, cookies=cookies, timeout=timeout) as http:
        config = http.get("/config").raise_for_status().json()
        fn_index, trigger = _event(config, "upload")
        sent = [("files", (f.name, f.read_bytes(), "text/plain")) for f in files]
        paths = http.post(f"{API}/upload", files=sent).raise_for_status().json()
        data = [
            [
                {"path": path, "orig_name": f.name, "meta": {"_type": "gradio.FileData"}}
                for path, f in zip(paths, files)
            ],
            replace,
        ]
        session = uuid.uuid4().hex
        http.post(
            f"{API}/queue/join",
            json={
                "data": data,
                "fn_index": fn_index,
                "trigger_id": trigger,
                "session_hash": session,
                "event_data": None,
            },
        ).raise_for_status()
        with http.stream("GET", f"{API}/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                yield message
                if message.get("msg") == "process_completed":
                    return


def upload(base_url: str, files: list[Path], **options: Any) -> str:
    """Upload and wait: the status the Documents tab shows (one line per file)."""
    for message in upload_events(base_url, files, **options):
        if message.get("msg") == "process_completed":
            output = message.get("output") or {}
            assert message.get("success"), output
            return str(output["data"][0])
    raise AssertionError("the upload event ended without completing")
