"""Saved web pages: the main text only (prefer <main>/<article>; navigation, header, footer and scripts dropped)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assistant.errors import CorpusError
from assistant.importers.common import URL_RE, Converted

_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "form",
    "button",
    "nav",
    "header",
    "footer",
    "aside",
)
_HEADINGS = {"h1": 2, "h2": 2, "h3": 3, "h4": 4, "h5": 4, "h6": 4}
_BLOCKS = {"p", "pre", "blockquote", "address", "figcaption", "dd", "dt", "caption"}


def _text(el: Any) -> str:
    return " ".join(el.get_text(" ").split())


def _walk(el: Any, out: list[str], title: str) -> None:
    """Append Markdown blocks for el's children, in document order."""
    from bs4.element import NavigableString, Tag

    loose: list[str] = []

    def flush() -> None:
        text = " ".join(" ".join(loose).split())
        if text:
            out.append(text)
        loose.clear()

    for child in el.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment, CDATA or doctype
                loose.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in ("br",):
            loose.append(" ")
        elif name in _HEADINGS:
            flush()
            text = _text(child)
            if text and not (name == "h1" and text == title):
                out.append("#" * _HEADINGS[name] + " " + text)
        elif name in ("ul", "ol"):
            flush()
            items = [_text(li) for li in child.find_all("li", recursive=False)]
            marker = "1." if name == "ol" else "-"
            lines = [f"{marker} {t}" for t in items if t]
            if lines:
                out.append("\n".join(lines))
        elif name == "table":
            flush()
            rows = [" | ".join(_text(c) for c in tr.find_all(["td", "th"])) for tr in child.find_all("tr")]
            rows = [r for r in rows if r.strip(" |")]
            if rows:
                out.append("\n".join(rows))
        elif name in _BLOCKS:
            flush()
            text = _text(child)
            if text:
                out.append(re.sub(r"^(#+)", r"\\\1", text))
        elif name in (
            "span",
            "a",
            "em",
            "strong",
            "b",
            "i",
            "u",
            "small",
            "abbr",
            "code",
            "time",
            "mark",
            "sup",
            "sub",
            "q",
            "cite",
            "s",
            "label",
        ):
            loose.append(child.get_text(" "))
        else:
            flush()
            _walk(child, out, title)
    flush()


def convert_html(path: Path) -> Converted:
    """Markdown from the main content of a saved page, with its title, language and address when declared."""
    from bs4 import BeautifulSoup

    data = path.read_bytes()
    try:
        soup = BeautifulSoup(data, "lxml")
    except Exception as exc:  # lxml rarely fails, but a binary file can make it
        raise CorpusError(
            f"Webbsidan {path.name!r} går inte att tolka som HTML ({type(exc).__name__}).",
            hint="Spara sidan på nytt från webbläsaren (Spara som → Webbsida, endast HTML).",
        ) from None
    front: dict[str, Any] = {}
    notes: list[str] = []
    og_title = soup.find("meta", attrs={"property": "og:title"})
    title = str(og_title.get("content") or "").strip() if og_title else ""
    if not title and soup.title and soup.title.string:
        title = " ".join(soup.title.string.split())
    if not title and soup.find("h1"):
        title = _text(soup.find("h1"))
    if title:
        front["title"] = title
        notes.append("Titeln hämtades från sidans <title>/og:title.")
    html_tag = soup.find("html")
    lang = str(html_tag.get("lang") or "").lower()[:2] if html_tag else ""
    if lang in ("sv", "en"):
        front["lang"] = lang
        notes.append(f"Språket ({lang}) hämtades från sidans lang-attribut.")
    canonical = soup.find("link", rel="canonical") or soup.find("meta", attrs={"property": "og:url"})
    url = str(canonical.get("href") or canonical.get("content") or "").strip() if canonical else ""
    if URL_RE.match(url):
        front["source_url"] = url
        notes.append("Källadressen hämtades från sidans canonical-länk.")
    root = soup.find("main") or soup.find("article") or soup.find(None, {"role": "main"}) or soup.body or soup
    for tag in root.find_all(_DROP):
        tag.decompose()
    for tag in root.find_all(None, {"role": ["navigation", "banner", "contentinfo"]}):
        tag.decompose()
    blocks: list[str] = []
    _walk(root, blocks, title)
    body = "\n\n".join(blocks)
    if not body.strip():
        raise CorpusError(
            f"Webbsidan {path.name!r} innehåller ingen brödtext efter att meny, sidhuvud och skript tagits bort.",
            hint="Kontrollera att sidan sparades med innehållet (Spara som → Webbsida, komplett).",
        )
    return Converted(body=body, front=front, notes=tuple(notes))
