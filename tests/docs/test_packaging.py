"""What an index page and an installed package show: the README as long description,
the licence, the metadata, and the generated client under the SDK's namespace."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def test_readme_links_are_absolute() -> None:
    # An index page renders the README away from the repository: a relative link breaks.
    targets = re.findall(r"\]\(([^)\s]+)", README) + re.findall(r'(?:src|href)="([^"]+)"', README)
    assert targets, "the README links to the examples, CONTRIBUTING.md, ..."
    relative = [t for t in targets if not re.match(r"https?://|#", t)]
    assert relative == []


def test_readme_opens_with_what_it_is_and_pip_install() -> None:
    before_quickstart = README.split("## Quickstart", 1)[0]
    assert "Claude Code API Service" in before_quickstart.split("##", 1)[0]
    assert "pip install claude-code-client\n" in before_quickstart
    assert "pip install 'claude-code-client[testing]'" in before_quickstart


def test_contributor_material_lives_in_contributing() -> None:
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for moved in ("## Performance", "## Layout", "scripts/regenerate.sh", "make bench"):
        assert moved not in README, moved
        assert moved in contributing, moved
    # A clone's two entry points are shown (demo and test); the rest stays in CONTRIBUTING.md.
    assert re.search(r"\bmake (bench|regenerate|install)\b", README) is None
    assert "make demo" in README and "make test" in README
    assert "pip install -e" not in README
    assert "https://github.com/claude-code-client/claude-code-client/blob/main/CONTRIBUTING.md" in (
        README
    )


def test_licence_and_metadata() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License")
    assert "claude-code-client contributors" in licence
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    # PyPI refuses a "License ::" classifier beside a licence expression (PEP 639).
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]
    versions = {c.rsplit(" ", 1)[-1] for c in PROJECT["classifiers"] if "Python :: 3." in c}
    assert versions == {"3.11", "3.12", "3.13"}
    assert PROJECT["requires-python"] == ">=3.11"
    assert {"Homepage", "Documentation", "Changelog", "Issues"} <= set(PROJECT["urls"])
    assert PROJECT["authors"]


def test_sdist_and_wheel_contents_are_declared() -> None:
    build = PYPROJECT["tool"]["hatch"]["build"]["targets"]
    assert build["wheel"]["packages"] == ["claude_client"]  # generated client inside it
    for path in ("claude_client", "examples", "LICENSE", "CHANGELOG.md", "README.md"):
        assert path in build["sdist"]["include"], path
        assert (ROOT / path).exists(), path


def test_generated_client_is_under_the_namespace_and_not_imported_eagerly() -> None:
    assert (ROOT / "claude_client" / "generated" / "client.py").is_file()
    assert not (ROOT / "generated").exists()
    code = (
        "import sys, claude_client\n"
        "assert not [m for m in sys.modules if m.startswith('claude_client.generated')]\n"
        "from claude_client.generated.api.api import get_usage\n"
        "import importlib.util\n"
        "assert importlib.util.find_spec('claude_code_api') is None\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
