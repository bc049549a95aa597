"""The web page's stylesheet and script, kept beside the HTML they style (render.py)."""

from __future__ import annotations

CSS = """
.ba-answer .ba-text { line-height: 1.55; }
.ba-marker { text-decoration: none; font-weight: 600; font-size: 0.85em; vertical-align: super;
  color: var(--color-accent); padding: 0 1px; cursor: pointer; }
.ba-marker:hover { text-decoration: underline; }
.ba-marker.ba-unsupported { color: var(--error-text-color, #b91c1c); }
.ba-sources { margin-top: 0.7em; border-top: 1px solid var(--border-color-primary);
  padding-top: 0.5em; }
.ba-sources-head { font-size: 0.8em; text-transform: uppercase; letter-spacing: 0.05em;
  opacity: 0.7; margin-bottom: 0.3em; }
.ba-source { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 0.45em 0.65em; margin: 0.35em 0; cursor: pointer;
  background: var(--background-fill-secondary); }
.ba-source:hover, .ba-source:focus { border-color: var(--color-accent); outline: none; }
.ba-source-head { font-size: 0.88em; margin-bottom: 0.25em; }
.ba-num { font-weight: 700; color: var(--color-accent); }
.ba-title { font-weight: 600; }
.ba-para { opacity: 0.75; }
.ba-open { float: right; opacity: 0.6; font-size: 0.9em; }
.ba-snippet { font-size: 0.88em; line-height: 1.5; opacity: 0.92; }
mark.ba-quote, mark.ba-cited { background: #fde68a; color: #1f2937; padding: 0 2px;
  border-radius: 3px; }
mark.ba-span { background: #f59e0b; color: #111827; font-weight: 600; padding: 0 1px;
  border-radius: 2px; }
.ba-short { margin: 0 0 0.45em 0; font-size: 1.08em; }
.ba-short-label { font-size: 0.78em; text-transform: uppercase; letter-spacing: 0.05em;
  opacity: 0.7; margin-right: 0.2em; }
.ba-short-text { font-weight: 700; }
.ba-prob { font-size: 0.75em; opacity: 0.6; margin-left: 0.3em; cursor: help; }
.ba-warning { font-size: 0.8em; color: var(--error-text-color, #b91c1c); margin-top: 0.2em; }
.ba-notice { font-size: 0.85em; margin-top: 0.5em; opacity: 0.85; }
.ba-abstain { border-left: 4px solid #9ca3af; padding: 0.2em 0 0.2em 0.7em; opacity: 0.9; }
.ba-abstain-head { font-weight: 600; font-size: 0.85em; text-transform: uppercase;
  letter-spacing: 0.04em; color: #6b7280; }
.ba-abstain .ba-text { font-style: italic; }
.ba-closest { font-size: 0.82em; margin-top: 0.3em; opacity: 0.75; }
.ba-error .ba-text { color: var(--error-text-color, #b91c1c); }
.ba-streaming .ba-text::after { content: " ▍"; opacity: 0.6; }
.ba-actions { margin-top: 0.4em; }
.ba-copy { font-size: 0.8em; border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: 1px 8px; cursor: pointer; background: transparent; opacity: 0.75; }
.ba-copy:hover { opacity: 1; }
#ba-viewer .ba-viewer { max-height: calc(70vh - 40px); min-height: 200px; overflow-y: auto; padding: 0.8em 1em;
  border: 1px solid var(--border-color-primary); border-radius: 10px;
  background: var(--background-fill-primary); }
.ba-viewer-empty { opacity: 0.7; font-style: italic; }
.ba-viewer-head { position: sticky; top: -0.8em; margin: -0.8em -1em 0.6em -1em;
  padding: 0.6em 1em 0.4em 1em; background: var(--background-fill-primary);
  border-bottom: 1px solid var(--border-color-primary); }
.ba-viewer-title { font-weight: 700; font-size: 1.05em; }
.ba-viewer-label { font-size: 0.85em; opacity: 0.75; }
.ba-doc p { margin: 0 0 0.8em 0; line-height: 1.55; }
mark.ba-cited { box-shadow: 0 0 0 2px #f59e0b; }
#ba-hint { min-height: 1.2em; color: var(--error-text-color, #b91c1c); font-size: 0.9em; }
"""

# Runs in the source viewer (a gr.HTML). One listener on the document catches clicks on sources
# and [n] markers anywhere in the chat (classes ba-cite ba-t<turn> ba-n<number>, see
# render.cite_classes) and sends them to the server as a "click" event of the viewer; after
# the viewer re-renders, its <mark> is scrolled into view. Copy buttons copy the short answer,
# the answer's text and its sources from the rendered message.
VIEWER_JS = """
window.__baTrigger = trigger;
function baNumber(el, prefix) {
  for (const name of el.classList) {
    if (name.startsWith(prefix) && /^\\d+$/.test(name.slice(prefix.length))) {
      return Number(name.slice(prefix.length));
    }
  }
  return null;
}
function baOpen(el) {
  window.__baTrigger('click', {turn: baNumber(el, 'ba-t'), n: baNumber(el, 'ba-n')});
}
function baCopyText(answer) {
  const short = answer.querySelector('.ba-short');
  const text = answer.querySelector('.ba-text');
  const lines = short ? [short.innerText.trim(), ''] : [];
  lines.push(text ? text.innerText.trim() : '');
  const sources = answer.querySelectorAll('.ba-source');
  if (sources.length) lines.push('', 'Sources:');
  sources.forEach((s) => {
    const part = (sel) => (s.querySelector(sel) || {innerText: ''}).innerText.trim();
    lines.push(`${part('.ba-num')} ${part('.ba-title')} ${part('.ba-para')}: "${part('mark')}"`);
  });
  return lines.join('\\n');
}
function baCopy(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  const area = document.createElement('textarea');
  area.value = text; area.style.position = 'fixed'; area.style.left = '-9999px';
  document.body.appendChild(area); area.select();
  try { document.execCommand('copy'); } finally { area.remove(); }
  return Promise.resolve();
}
if (!window.__baListening) {
  window.__baListening = true;
  document.addEventListener('click', (ev) => {
    const target = ev.target instanceof Element ? ev.target : null;
    if (!target) return;
    const cite = target.closest('.ba-cite');
    if (cite) { ev.preventDefault(); ev.stopPropagation(); baOpen(cite); return; }
    const copy = target.closest('.ba-copy');
    const answer = copy && copy.closest('.ba-answer');
    if (answer) {
      ev.preventDefault(); ev.stopPropagation();
      window.__baCopied = baCopyText(answer);
      baCopy(window.__baCopied).then(() => {
        copy.textContent = 'Copied';
        setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
      });
    }
  }, true);
  document.addEventListener('keydown', (ev) => {
    const target = ev.target instanceof Element ? ev.target : null;
    if (target && (ev.key === 'Enter' || ev.key === ' ') && target.matches('.ba-source')) {
      ev.preventDefault(); baOpen(target);
    }
  }, true);
}
watch('value', () => {
  const mark = element.querySelector('#ba-cited');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'smooth'});
});
"""
