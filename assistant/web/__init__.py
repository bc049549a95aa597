"""The web chat (Gradio): serve.py starts it (`briefing serve`, app.py), chat.py lays out the
page and answers, library.py is the Documents tab, render.py writes the HTML, assets.py holds
its CSS and script, uploads.py and export.py what goes in and out, startup.py the loading at
start. Everything here talks to the engine only; nothing below it imports Gradio."""
