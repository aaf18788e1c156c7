"""The project stands on its own: a clone with nothing beside it runs and tests, and its
documents link only to files it holds."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Built from parts so that this file does not match itself.
OUTSIDE = re.compile(re.escape("..") + r"[/\\]shared|[/\\]shared[/\\]")


def _tracked() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False)
    if listed.returncode == 0:
        return [ROOT / name for name in listed.stdout.split("\0") if name]
    return [p for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts and ".git" not in p.parts]


def test_nothing_used_at_run_or_test_time_reads_a_shared_folder_beside_the_project() -> None:
    used = [
        p
        for p in _tracked()
        if p.suffix in {".py", ".toml", ".ini", ".cfg", ".mako", ".sh"} or p == ROOT / ".ci" / "run"
    ]
    assert len(used) > 50  # the scan sees the project
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in used
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_document_links_point_at_files_in_the_project() -> None:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "hardware" / "README.md"]
    assert ROOT / "docs" / "DESIGN.md" in docs
    broken = []
    for doc in docs:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            resolved = (doc.parent / target).resolve()
            if not resolved.exists() or ROOT not in resolved.parents:
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert broken == []
