"""Pure rendering for the UI: answers with clickable [n] markers, the sources panel, notices.

Everything here turns plain data (the `ask --json` contract, method cards, chunk texts) into Markdown
or HTML strings, so it is tested without a browser. Text from the corpus is always HTML-escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ui.i18n import UiLang, t

CITE_RE = re.compile(r"\[(\d+)\]")
_LIST_MARKER = re.compile(r"^\s*(?:[-*]|\d+\.)\s+", flags=re.MULTILINE)  # as compose.first_sentences
_INLINE_MARKUP = re.compile(r"\*\*|__|`")
NoticeLevel = Literal["info", "warning", "error", "success"]


def esc(text: object) -> str:
    """HTML-escaped text (quotes too, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


def cite_href(turn: int, n: int) -> str:
    """The in-page link a citation marker points at; the page script turns a click into an event."""
    return f"#mg-cite-{turn}-{n}"


def card_href(method_id: str) -> str:
    """The in-page link that opens a full method card."""
    return f"#mg-card-{method_id}"


def parse_target(target: str) -> tuple[str, tuple[str, ...]]:
    """'cite-2-3' → ('cite', ('2', '3')); 'card-medborgarrad' → ('card', ('medborgarrad',)); else ('', ())."""
    m = re.fullmatch(r"cite-(\d{1,4})-(\d{1,4})", target or "")
    if m:
        return "cite", (m.group(1), m.group(2))
    m = re.fullmatch(r"card-([a-z0-9][a-z0-9-]{0,80})", target or "")
    if m:
        return "card", (m.group(1),)
    return "", ()


def link_markers(text: str, turn: int, valid: set[int] | None = None) -> str:
    """Turn every [n] marker into a Markdown link to its source; markers outside `valid` stay plain."""

    def repl(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if valid is not None and n not in valid:
            return m.group(0)
        return f"[\\[{n}\\]]({cite_href(turn, n)})"

    # Skip markers that are already link text ("[1](...)").
    return re.sub(r"\[(\d+)\](?!\()", repl, text)


def format_answer(data: Mapping[str, Any], turn: int) -> str:
    """The chat message for one answer: text with clickable markers, the open question, a source list."""
    citations = data.get("citations") or []
    valid = {int(c["n"]) for c in citations}
    answer = link_markers(str(data.get("answer", "")), turn, valid)
    question = data.get("clarifying_question")
    if question:
        # The one question back to the official stands out as a callout, not as a line in the text.
        lead = "En fråga till dig" if data.get("language", "sv") == "sv" else "A question for you"
        answer = answer.replace(f"*{question}*", "").replace(question, "").rstrip()
        answer += f"\n\n> **{lead}:** {question}"
    parts = [answer]
    if citations:
        sv = data.get("language", "sv") == "sv"
        heading = (
            "**Källor** (klicka för att läsa stycket)" if sv else "**Sources** (click to read the passage)"
        )
        lines = [heading]
        for c in citations:
            section = f" – {c['section']}" if c.get("section") else ""
            name = _md_text(f"{c['title']}{section}")
            lines.append(f"{c['n']}. [{name}]({cite_href(turn, int(c['n']))})")
        parts.append("\n".join(lines))
    return "\n\n".join(p for p in parts if p)


def _md_text(text: str) -> str:
    """Text safe inside Markdown link text."""
    return re.sub(r"([\[\]\\*_`<>])", r"\\\1", text)


# --- sources -----------------------------------------------------------------------------------------


def quote_span(text: str, quote: str) -> tuple[int, int] | None:
    """Where a citation's quote lies in the chunk text, ignoring whitespace, list markers and ** markup.

    The quote is a flattened run of the passage's sentences (compose.quote_for), so it is matched
    character by character against the text's significant characters; None when it is not found.
    """
    q = quote.strip()
    if q.endswith("…"):
        q = q[:-1]
    wanted = "".join(ch for ch in q if not ch.isspace())
    if not wanted:
        return None
    removed: set[int] = set()
    for m in _LIST_MARKER.finditer(text):
        removed.update(range(m.start(), m.end()))
    for m in _INLINE_MARKUP.finditer(text):
        removed.update(range(m.start(), m.end()))
    keep = [i for i, ch in enumerate(text) if i not in removed and not ch.isspace()]
    flat = "".join(text[i] for i in keep)
    # A quote turns a bold lead-in "**Mandat.**" into "Mandat:"; compare ':' and '.' as one.
    pos = flat.replace(":", ".").find(wanted.replace(":", "."))
    if pos < 0:
        return None
    return keep[pos], keep[pos + len(wanted) - 1] + 1


def passage_html(text: str, quote: str) -> str:
    """The whole passage, escaped, with the quoted part in <mark>; the quote alone when not found."""
    span = quote_span(text, quote) if text else None
    if span is None:
        shown = text or quote
        return f'<div class="mg-passage"><mark>{esc(_plain(quote))}</mark></div>' + (
            f'<div class="mg-passage">{esc(_plain(shown))}</div>' if text else ""
        )
    start, end = span
    before, marked, after = text[:start], text[start:end], text[end:]
    return (
        '<div class="mg-passage">'
        f"{esc(_plain(before))}<mark>{esc(_plain(marked))}</mark>{esc(_plain(after))}"
        "</div>"
    )


def _plain(text: str) -> str:
    return _INLINE_MARKUP.sub("", text)


def _source_links(doc: Mapping[str, Any] | None, url: str, lang: UiLang = "sv") -> str:
    sources = list((doc or {}).get("sources") or [])
    if not sources and url:
        sources = [{"title": url, "url": url, "publisher": ""}]
    items = []
    for s in sources:
        who = f" ({esc(s['publisher'])})" if s.get("publisher") else ""
        items.append(
            f'<li><a href="{esc(s["url"])}" target="_blank" rel="noopener noreferrer">'
            f"{esc(s.get('title') or s['url'])}</a>{who}</li>"
        )
    return f"<ul>{''.join(items)}</ul>" if items else f"<p>{esc(t('sources.none', lang))}</p>"


def sources_panel_html(
    citations: Sequence[Mapping[str, Any]],
    chunk_texts: Mapping[str, str],
    documents: Mapping[str, Mapping[str, Any]],
    turn: int,
    selected: int | None = None,
    lang: UiLang = "sv",
) -> str:
    """The sources panel: the chosen passage in full (quote highlighted) above the answer's other sources."""
    if not citations:
        return empty_html(t("side.sources", lang), t("sources.empty", lang))
    chosen = next((c for c in citations if int(c["n"]) == selected), None)
    parts = ['<div class="mg-sources">']
    if chosen is not None:
        doc = documents.get(str(chosen["doc_id"]))
        text = chunk_texts.get(str(chosen["chunk_id"]), "")
        section = (
            f'<p class="mg-meta">{esc(t("sources.section", lang))}: {esc(chosen["section"])}</p>'
            if chosen.get("section")
            else ""
        )
        parts.append(
            f'<article class="mg-source mg-selected" id="mg-source-selected" aria-labelledby="mg-src-h">'
            f'<h3 id="mg-src-h"><span class="mg-n">[{int(chosen["n"])}]</span> {esc(chosen["title"])}</h3>'
            f"{section}{passage_html(text, str(chosen.get('quote', '')))}"
            f'<p class="mg-meta">{esc(t("sources.licence", lang))}: '
            f"{esc(chosen.get('licence') or t('sources.unknown', lang))}</p>"
            f"<h4>{esc(t('sources.doc_sources', lang))}</h4>{_source_links(doc, str(chosen.get('url', '')), lang)}"
            "</article>"
        )
        if not text:
            parts.append(f'<p class="mg-meta">{esc(t("sources.gone", lang))}</p>')
    others = [c for c in citations if c is not chosen]
    if others:
        head = t("sources.others" if chosen is not None else "sources.in_answer", lang)
        parts.append(f"<h3>{head}</h3>")
        if chosen is None:
            parts.append(f'<p class="mg-hint">{esc(t("sources.choose", lang))}</p>')
        parts.append('<ol class="mg-source-list">')
        for c in others:
            section = f" – {esc(c['section'])}" if c.get("section") else ""
            parts.append(
                f'<li value="{int(c["n"])}"><a href="{cite_href(turn, int(c["n"]))}">'
                f"{esc(c['title'])}{section}</a>"
                f"<blockquote>{esc(_plain(str(c.get('quote', ''))))}</blockquote></li>"
            )
        parts.append("</ol>")
    parts.append("</div>")
    return "".join(parts)


def notice_html(message: str, level: NoticeLevel = "info") -> str:
    """A visible, announced message above the question box; empty message clears it."""
    if not message:
        return '<div class="mg-notice-empty" role="status" aria-live="polite"></div>'
    role = "alert" if level in ("warning", "error") else "status"
    icon = {"info": "ℹ️", "warning": "⚠️", "error": "⛔", "success": "✅"}[level]
    return (
        f'<div class="mg-notice mg-{level}" role="{role}" aria-live="polite">'
        f'<span aria-hidden="true">{icon}</span> {esc(message)}</div>'
    )


def empty_html(title: str, text: str) -> str:
    """The empty state of a panel."""
    return f'<div class="mg-empty"><p><strong>{esc(title)}</strong></p><p>{esc(text)}</p></div>'


def progress_html(step: str, done: int, total: int, message: str = "") -> str:
    """A labelled progress bar for the reindex."""
    pct = 100 if total <= 0 else round(100 * done / total)
    text = f"{step}: {done} av {total}" if total > 0 else step
    return (
        f'<div class="mg-progress"><label for="mg-progress-bar">{esc(text)}</label>'
        f'<progress id="mg-progress-bar" max="100" value="{pct}">{pct} %</progress>'
        + (f"<p>{esc(message)}</p>" if message else "")
        + "</div>"
    )
