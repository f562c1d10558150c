"""The article in a saved web page: its text, title, publication date and outlet.

``page_text(html) -> Page``. A news page is mostly not the article: menus, headers and footers, related links,
scripts, forms, share buttons. What is kept is the text of the page's ``<article>`` element (the longest, when
teasers of other stories are articles too; of ``<main>`` when it has none, else of the whole body), paragraph by
paragraph, without the elements that are never the article
(``nav``, ``header``, ``footer``, ``aside``, ``form``, ``script``, ``style``, ``figure``, …). The date and outlet
come from the page's own metadata — ``<meta property="article:published_time">`` and its usual kin, schema.org's
``datePublished`` (in JSON-LD or as ``itemprop``), ``og:site_name`` — as the page writes them; ``newslens.corpus``
reads and checks them as it does a metadata column.

The page is untrusted: it is only parsed (Python's ``html.parser``), nothing in it is run or fetched; of its JSON-LD
only those two fields are read, by pattern.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class Page:
    title: str  # the article's headline: its <h1>, else og:title, else the page's <title>
    text: str  # the headline, then the article's paragraphs, separated by blank lines; "" when there are none
    published: str  # the publication date as the page's metadata writes it ("2025-11-23T14:05:00Z"); "" if none
    outlet: str  # og:site_name or the JSON-LD publisher's name; "" if none


# Elements whose text is never the article's.
_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
                      "button", "select", "iframe", "figure", "dialog", "menu"})
# Elements that end a paragraph.
_BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section",
                     "main", "blockquote", "pre", "table", "tr", "dd", "dt", "dl", "hr", "body", "address"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "source", "wbr", "area", "base", "col", "embed"})
# <meta> names and properties of a publication date, in order of preference.
_DATE_META = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
              "publish-date", "date", "dc.date", "dc.date.issued", "dcterms.created", "parsely-pub-date",
              "sailthru.date")
_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{6,40})"')
_LD_PUBLISHER = re.compile(r'"publisher"\s*:\s*\{[^{}]*?"name"\s*:\s*"([^"]{1,100})"')
_SPACE = re.compile(r"\s+")


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: list[str] = []  # the open skipped elements
        self.inside = {"article": 0, "main": 0, "title": 0, "h1": 0}
        self.articles: list[list[str]] = []  # the paragraphs of each outermost <article>
        self.paragraphs: dict[str, list[str]] = {"main": [], "body": []}
        self.words: list[str] = []
        self.title, self.headline, self.json_ld = [], [], []
        self.meta: dict[str, str] = {}
        self.in_json_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or values.get("itemprop") or "").lower()
            self.meta.setdefault(key, values.get("content", ""))
        elif values.get("itemprop", "").lower() == "datepublished":
            self.meta.setdefault("datepublished", values.get("datetime") or values.get("content", ""))
        if tag == "script" and values.get("type", "").lower() == "application/ld+json":
            self.in_json_ld = True
        if tag in _SKIPPED and tag not in _VOID:
            self.skipping.append(tag)
        if tag in _BLOCKS:
            self._end_paragraph()
        if tag in self.inside and tag not in _VOID:
            self.inside[tag] += 1
            if tag == "article" and self.inside[tag] == 1:
                self.articles.append([])

    def handle_endtag(self, tag: str) -> None:
        self.in_json_ld = False if tag == "script" else self.in_json_ld
        if tag in self.skipping:  # close it, and whatever was left open inside it
            del self.skipping[len(self.skipping) - 1 - self.skipping[::-1].index(tag):]
        if tag in _BLOCKS:
            self._end_paragraph()
        if tag in self.inside and self.inside[tag]:
            self.inside[tag] -= 1

    def handle_data(self, data: str) -> None:
        if self.in_json_ld:
            self.json_ld.append(data)
        elif self.inside["title"]:
            self.title.append(data)
        elif not self.skipping:
            self.words.append(data)
            if self.inside["h1"]:
                self.headline.append(data)

    def _end_paragraph(self) -> None:
        paragraph = _SPACE.sub(" ", "".join(self.words)).strip()
        self.words = []
        if paragraph:
            self.paragraphs["body"].append(paragraph)
            if self.inside["main"]:
                self.paragraphs["main"].append(paragraph)
            if self.inside["article"]:
                self.articles[-1].append(paragraph)


def page_text(html: str) -> Page:
    """The article of a web page (see the module's docstring).

    Parameters
    ----------
    html : str
        The page's markup, decoded.

    Returns
    -------
    Page
        ``text`` is "" when the page holds no paragraph outside menus, headers, footers and scripts.
    """
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    parser._end_paragraph()
    json_ld = "".join(parser.json_ld)
    # The longest <article> is the story: pages also mark teasers of other stories as articles.
    longest = max(parser.articles, key=lambda found: sum(map(len, found)), default=[])
    paragraphs = next((found for found in (longest, parser.paragraphs["main"], parser.paragraphs["body"]) if found), [])
    title = next((_SPACE.sub(" ", t).strip() for t in ("".join(parser.headline), parser.meta.get("og:title", ""),
                                                        "".join(parser.title)) if t.strip()), "")
    if paragraphs and title and paragraphs[0] != title:
        paragraphs = [title, *paragraphs]
    published = next((parser.meta[key] for key in _DATE_META if parser.meta.get(key, "").strip()), "")
    ld_date, ld_publisher = _LD_DATE.search(json_ld), _LD_PUBLISHER.search(json_ld)
    return Page(title=title, text="\n\n".join(paragraphs),
                published=(published or (ld_date.group(1) if ld_date else "")).strip(),
                outlet=(parser.meta.get("og:site_name") or (ld_publisher.group(1) if ld_publisher else "")).strip())
