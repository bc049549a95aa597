"""`python -m assistant.cli`: the same as the `briefing` command."""

from .main import main

main()
