"""Start the web chat: settings -> engine -> corpus ingested -> UI -> launch.

`python app.py` is what `make run` runs; it takes the options of `briefing serve --help`
(--host, --port, --share, --auth, ...), whose code in assistant/web/serve.py it reuses.
"""

from assistant.web.serve import serve_command

if __name__ == "__main__":
    serve_command(prog_name="app.py")
