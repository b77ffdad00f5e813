"""Build-time adjustments for the documentation site (mkdocs.yml names this file under ``hooks:`` and, as a griffe
extension, under mkdocstrings' ``extensions:``).

- The project's front page (the repository's README.md, outside docs/) joins the site as ``stormcrew.md``: its links
  into ``docs/`` lose that prefix, and the guides' links to ``../README.md`` point at it. The sources keep the links
  that work when the files are read in the repository; only the site's copy is rewritten.
- The docstrings are plain prose with a few reStructuredText habits, read as Markdown: doctest examples (``>>>``
  lines and their output) become ``pycon`` code blocks (Markdown would read ``>>>`` as three nested quotes), a
  paragraph ending in ``::`` before an indented block ends in ``:`` and ``:func:`name``` roles become ``name`` in
  code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from griffe import Extension, Object
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

FRONT_PAGE = "stormcrew.md"  # the front page's place in the site
README = Path(__file__).resolve().parents[1] / "README.md"

# a Markdown link or image target: ](target) or ](target#anchor)
_TO_DOCS = re.compile(r"\]\(docs/")
_TO_README = re.compile(r"\]\(\.\./README\.md(?=[#)])")


def front_page(text: str) -> str:
    """The README as a page at the root of the site, where the guides are beside it.

    >>> front_page("[Guides](docs/README.md), [Tests](docs/tests.md#how-long)")
    '[Guides](README.md), [Tests](tests.md#how-long)'
    """
    return _TO_DOCS.sub("](", text)


def to_front_page(markdown: str) -> str:
    """A guide's links to the repository's README, pointed at the site's copy of it.

    >>> to_front_page("[stormcrew](../README.md) and [set-up](../README.md#set-up-on-a-fresh-machine)")
    '[stormcrew](stormcrew.md) and [set-up](stormcrew.md#set-up-on-a-fresh-machine)'
    """
    return _TO_README.sub("](" + FRONT_PAGE, markdown)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """mkdocs hook: add the front page, read from the repository's root."""
    files.append(File.generated(config, FRONT_PAGE, content=front_page(README.read_text(encoding="utf-8"))))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """mkdocs hook: the guides (at the top of docs/) link the front page as ``../README.md``."""
    return to_front_page(markdown) if "/" not in page.file.src_uri else markdown


_PROMPT = re.compile(r"^(?P<indent>[ \t]*)>>>( |$)")


def fence_doctests(text: str) -> str:
    """Each run of doctest lines (from a ``>>>`` line to the next blank line, as doctest reads it) fenced as
    ``pycon``; examples already in a fence are left alone.

    >>> fence_doctests("Adds.\\n\\n>>> 1 + 1\\n2\\n\\nDone.").split("\\n")
    ['Adds.', '', '```pycon', '>>> 1 + 1', '2', '```', '', 'Done.']
    """
    out: list[str] = []
    fence: str | None = None  # the indentation of the open pycon fence
    in_fence = False  # inside a fence of the docstring's own
    for line in text.split("\n"):
        if fence is not None:
            if line.strip():
                out.append(line)
                continue
            out.append(fence + "```")
            fence = None
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        elif not in_fence and (m := _PROMPT.match(line)):
            fence = m["indent"]
            out.append(fence + "```pycon")
        out.append(line)
    if fence is not None:
        out.append(fence + "```")
    return "\n".join(out)


_ROLE = re.compile(r":(?:func|meth|class|mod|attr|data|exc|obj):`~?([^`]+)`")
_LITERAL = re.compile(r"(?<=\S)::$", flags=re.M)


def markdown_docstring(text: str) -> str:
    """A docstring as Markdown: doctests fenced, reStructuredText's ``::`` and roles made plain.

    >>> markdown_docstring("Call :func:`claim` first; installed::")
    'Call `claim` first; installed:'
    """
    return fence_doctests(_LITERAL.sub(":", _ROLE.sub(r"`\1`", text)))


class DocstringsAsMarkdown(Extension):
    """griffe extension: every docstring through :func:`markdown_docstring` before mkdocstrings renders it."""

    def on_instance(self, *, obj: Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
