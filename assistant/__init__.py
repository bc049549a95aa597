"""The Briefing Assistant: cited answers about a set of documents."""
