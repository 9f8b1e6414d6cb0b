"""Which local files a deploy or an upload sends, and what each becomes in the workspace.

No HTTP here: the plan checker uses it offline (to confine sources and to know which
notebooks a deploy makes), ``transfer`` to copy.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

NOTEBOOK_HEADERS = {".py": ("# Databricks notebook source", "PYTHON"),
                    ".sql": ("-- Databricks notebook source", "SQL"),
                    ".scala": ("// Databricks notebook source", "SCALA"),
                    ".r": ("# Databricks notebook source", "R")}
SKIPPED_NAMES = ("__pycache__", ".DS_Store", ".ipynb_checkpoints")


def local_files(source: Path) -> list[tuple[Path, str]]:
    """(file, relative posix path) pairs; a single file is its own name; hidden things skipped."""
    if source.is_file():
        return [(source, source.name)]
    out = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if not path.is_file() or any(p.startswith(".") or p in SKIPPED_NAMES for p in rel.parts):
            continue
        out.append((path, rel.as_posix()))
    return out


JUPYTER = "JUPYTER"  # not a language: a Jupyter notebook, imported as such (its kernel names the language)


def notebook_language(path: Path, content: bytes) -> Optional[str]:
    if path.suffix.lower() == ".ipynb":
        return JUPYTER
    header = NOTEBOOK_HEADERS.get(path.suffix.lower())
    if header and content.lstrip(b"\xef\xbb\xbf").startswith(header[0].encode()):
        return header[1]
    return None


def deployed_as(path: Path, rel: str, content: bytes) -> tuple[str, Optional[str]]:
    """(name under the deploy target, notebook language or None): a Databricks source file
    becomes a notebook without its extension, as workspace import makes it."""
    language = notebook_language(path, content)
    return (rel[: -len(path.suffix)] if language else rel), language
