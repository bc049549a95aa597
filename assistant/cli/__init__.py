"""The `briefing` command line. main.py holds the command group and the core commands (the web
app's `serve` and the evaluation's `eval` are loaded from their own packages when used);
common.py the helpers every front end shares, importable without the command group."""
