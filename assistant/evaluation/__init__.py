"""Evaluation suites: question sets -> one engine.ask per question -> metrics, reports, diffs.

questions.py loads and validates sets, runner.py asks them, metrics.py scores them, compare.py
diffs two runs, report_text.py / report_html.py render them, squad.py converts SQuAD, judges.py
holds the optional LLM judges and cli.py the `briefing eval` / `briefing evalset` commands.
"""
