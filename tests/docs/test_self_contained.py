"""The repository explains itself: no file points outside it, and every `docs/…md §N` reference
names a section that exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Assembled from pieces so this file does not match its own search.
OUTSIDE_PATHS = ("/work/" + "shared", "../" + "shared", "/work/" + "main")
SECTION_REFERENCE = re.compile(r"docs/([a-z-]+\.md) §(\d+(?:\.\d+)*)")
HEADING_NUMBER = re.compile(r"^#{2,4} (?:R\d+ — |)(\d+(?:\.\d+)*)[. ]", re.MULTILINE)


def tracked_text_files() -> list[Path]:
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout.decode()
        paths = [ROOT / name for name in listing.split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        # A source tree without git metadata: every file outside virtualenvs and caches.
        skip = {".git", ".venv", "__pycache__", "node_modules"}
        paths = [p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.parts)]
    texts = []
    for path in paths:
        try:
            path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        texts.append(path)
    return texts


@pytest.fixture(scope="module")
def files() -> list[Path]:
    found = tracked_text_files()
    assert len(found) > 50, "the file listing found almost nothing"
    return found


def test_no_file_references_a_path_outside_the_repository(files: list[Path]) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(outside in line for outside in OUTSIDE_PATHS)
    ]
    assert offenders == []


def test_every_section_reference_names_an_existing_section(files: list[Path]) -> None:
    sections = {
        page.name: set(HEADING_NUMBER.findall(page.read_text(encoding="utf-8")))
        for page in DOCS.glob("*.md")
    }
    dangling = [
        f"{path.relative_to(ROOT)}: docs/{page} §{number}"
        for path in files
        for page, number in SECTION_REFERENCE.findall(path.read_text(encoding="utf-8"))
        if number not in sections.get(page, set())
    ]
    assert dangling == []


def test_the_docs_index_links_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    pages = {page.name for page in DOCS.glob("*.md")} - {"README.md"}
    assert {"payment-api.md", "integrator.md", "operating.md", "security.md"} <= pages
    assert [page for page in sorted(pages) if f"]({page})" not in index] == []
    assert "](docs/README.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_relative_link_of_the_docs_leads_to_a_file() -> None:
    pages = [ROOT / "README.md", *DOCS.glob("*.md")]
    broken = [
        f"{page.relative_to(ROOT)}: {target}"
        for page in pages
        for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)\s]*)?\)", page.read_text("utf-8"))
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert broken == []
