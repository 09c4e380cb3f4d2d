"""mkdocs hook: show Sphinx cross-reference roles in docstrings as plain code.

The docstrings follow numpydoc, whose references are Sphinx roles such as
``:func:`kanlab.fit``` or ``:class:`~kanlab.nn._network.KAN```. mkdocstrings
renders the name as code and leaves the role in front of it; this hook drops
the role (and, for a leading ``~``, keeps only the last component of the name,
as Sphinx does).
"""
import re

_ROLE = re.compile(r":(?:py:)?(?:mod|func|class|meth|attr|data|exc|obj|const|term):"
                   r"<code>(~?)([^<]*)</code>")


def _plain(match: re.Match) -> str:
    tilde, name = match.groups()
    return f"<code>{name.rsplit('.', 1)[-1] if tilde else name}</code>"


def on_page_content(html: str, **kwargs) -> str:
    return _ROLE.sub(_plain, html)
