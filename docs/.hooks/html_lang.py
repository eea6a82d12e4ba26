"""MkDocs hook: write the full language tag, <html lang="pt-BR">.

Material's pt-BR translation file declares its language as plain "pt", so with
`theme.language: pt-BR` the pages come out as <html lang="pt">. Screen readers,
browsers' spell checkers and translators use this attribute, and the course is
Brazilian Portuguese, so the tag is corrected on every rendered page and on the
404 template. Kept in docs/.hooks/: MkDocs does not copy dot-folders to the site.
"""

from __future__ import annotations

_WRONG = '<html lang="pt" '
_RIGHT = '<html lang="pt-BR" '


def _fix(output: str) -> str:
    return output.replace(_WRONG, _RIGHT, 1)


def on_post_page(output: str, page, config) -> str:
    return _fix(output)


def on_post_template(output_content: str, template_name: str, config) -> str:
    return _fix(output_content)
