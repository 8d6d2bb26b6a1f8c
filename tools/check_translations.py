#!/usr/bin/env python3
"""Fail when the English catalogue has untranslated or fuzzy entries.

Usage: tools/check_translations.py [path/to/django.po ...]
(default: every .po file under sopflow/locale/en/). Exit 0 when complete, 1 otherwise, listing the
offending msgids. Standard library only, so it runs without the virtualenv or gettext tools.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "sopflow" / "locale" / "en"
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"\s*$')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    line: int
    fuzzy: bool = False
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        context = self.fields.get("msgctxt")
        return f"[{context}] {self.fields['msgid']}" if context else self.fields["msgid"]

    @property
    def translations(self) -> list[str]:
        return [value for key, value in self.fields.items() if key.startswith("msgstr")]


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(1)), text)


def parse(path: Path) -> list[Entry]:
    """Entries of a PO file (obsolete `#~` entries are skipped)."""
    entries: list[Entry] = []
    current: Entry | None = None
    key = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current = None
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                current = current or Entry(number)
                if current not in entries:
                    entries.append(current)
                current.fuzzy = True
            continue
        if line.startswith('"') and current is not None and key:
            current.fields[key] += _unquote(line[1:-1])
            continue
        match = _KEYWORD.match(line)
        if match is None:
            raise ValueError(f"{path}:{number}: cannot parse {raw!r}")
        if current is None:
            current = Entry(number)
            entries.append(current)
        key = match.group(1)
        current.fields[key] = _unquote(match.group(2))
    return [entry for entry in entries if "msgid" in entry.fields]


def problems(path: Path) -> list[str]:
    found = []
    for entry in parse(path):
        if entry.fields["msgid"] == "":  # the header
            if entry.fuzzy:
                found.append(f"{path}:{entry.line}: header is marked fuzzy")
            continue
        if entry.fuzzy:
            found.append(f"{path}:{entry.line}: fuzzy: {entry.msgid}")
        elif not entry.translations or any(not text for text in entry.translations):
            found.append(f"{path}:{entry.line}: untranslated: {entry.msgid}")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or sorted(DEFAULT_DIR.rglob("*.po"))
    if not paths:
        sys.stderr.write(f"no catalogue found under {DEFAULT_DIR}\n")
        return 1
    found = [problem for path in paths for problem in problems(path)]
    for problem in found:
        sys.stdout.write(problem + "\n")
    total = sum(len(parse(path)) - 1 for path in paths)
    if found:
        sys.stderr.write(f"{len(found)} of {total} entries need a translation\n")
        return 1
    sys.stdout.write(f"translations complete: {total} entries in {len(paths)} catalogue(s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
