"""The documentation's examples run as tests: README.md and every docs/*.md.

- Every fenced ``python`` block runs, each page's blocks in order in one namespace, from the repository's root.
- Every ``stormcrew validate`` line of a ``console``, ``bash``, ``sh`` or ``shell`` block runs through
  ``sim.cli.main`` and must exit 0; in a ``console`` block, the lines after the command (up to the next ``$``) are
  what it must print.
- The bad-input transcript of docs/scenario-format.md is what stormcrew prints for the file the text describes.
- Every ``yaml`` block parses, every relative link and image names a file that exists (and a heading, after ``#``),
  and every guide is linked from the front page and from the guides' index.

A block with ``<!-- no-test: reason -->`` on the line before its fence is skipped, with that reason.
"""

from __future__ import annotations

import glob
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELLS = {"console", "bash", "sh", "shell"}
NO_TEST = re.compile(r"<!--\s*no-test:\s*(?P<reason>.*?)\s*-->")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    skip: str | None  # the no-test reason, if any

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, with the no-test reason written on the line before each fence."""
    found, lines = [], page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^```\s*([\w+-]*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "```"), None)
        assert end is not None, f"{page.relative_to(ROOT)}:{i + 1}: a fence that is never closed"
        before = NO_TEST.search(lines[i - 1]) if i else None
        found.append(Block(page, i + 1, m.group(1).lower(), "\n".join(lines[i + 1:end]) + "\n",
                           before.group("reason") if before else None))
        i = end + 1
    return found


ALL = [b for page in PAGES for b in blocks(page)]
PYTHON = [b for b in ALL if b.lang == "python"]


@dataclass(frozen=True)
class Command:
    block: Block
    argv: tuple[str, ...]
    expected: tuple[str, ...] | None  # the output a console block shows after the command, if any


def commands() -> list[Command]:
    found = []
    for b in ALL:
        if b.lang not in SHELLS:
            continue
        lines = b.text.splitlines()
        for k, line in enumerate(lines):
            if b.lang == "console" and not line.startswith("$ "):
                continue  # output
            line = line.removeprefix("$ ").strip()
            if not line.startswith("stormcrew validate"):
                continue
            expected = None
            if b.lang == "console":
                rest = lines[k + 1:]
                stop = next((j for j, x in enumerate(rest) if x.startswith("$ ")), len(rest))
                expected = tuple(x.rstrip() for x in rest[:stop]) or None
            found.append(Command(b, tuple(shlex.split(line, comments=True)), expected))
    return found


COMMANDS = commands()


def params(items: list, block_of=lambda x: x) -> list:
    """pytest params named after the page and line, skipped with the page's reason when it gives one."""
    out = []
    for item in items:
        b = block_of(item)
        marks = [pytest.mark.skip(reason=f"no-test: {b.skip}")] if b.skip else []
        out.append(pytest.param(item, id=b.name, marks=marks))
    return out


# ---------------------------------------------------------------------------------------------- python blocks

NAMESPACES: dict[Path, dict] = {}


@pytest.mark.parametrize("block", params(PYTHON))
def test_python_block_runs(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page's python blocks share one namespace, in the page's order (pytest keeps the parameters' order)."""
    monkeypatch.chdir(ROOT)
    namespace = NAMESPACES.setdefault(block.page, {"__name__": f"docs_{block.page.stem.replace('-', '_')}"})
    code = compile("\n" * block.line + block.text, str(block.page), "exec")  # tracebacks name the page's lines
    exec(code, namespace)


# ---------------------------------------------------------------------------------------------- shell lines


@pytest.mark.parametrize("command", params(COMMANDS, lambda c: c.block))
def test_validate_command(command: Command, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(ROOT)
    assert command.argv[:2] == ("stormcrew", "validate")
    files = [f for arg in command.argv[2:] for f in (sorted(glob.glob(arg)) or [arg])]
    code = main(["validate", *files])
    out = capsys.readouterr()
    assert code == 0, f"{command.block.name}: {' '.join(command.argv)} exited {code}\n{out.err}"
    if command.expected is not None:
        assert tuple(out.out.rstrip("\n").splitlines()) == command.expected


def test_the_pages_have_validate_commands() -> None:
    """The collection above finds what it should (a regex that matched nothing would pass every test)."""
    assert {c.block.page.name for c in COMMANDS} >= {"README.md"}
    assert any(c.expected for c in COMMANDS)


# ---------------------------------------------------------------------------------------------- bad input

TYPO = "$ stormcrew validate storm_typo.yaml"


def storm_typo(text: str) -> str:
    """The default scenario as docs/scenario-format.md describes it: ``limits: {arrive: -5, restore: 6 h}`` added
    under ``zones.rural`` and ``customers`` of ``fault_types.cable_fault`` misspelt ``custmers``."""
    out, section, zone = [], None, None
    for line in text.splitlines():
        if re.match(r"^\S", line):
            section = line.split(":")[0]
        if re.match(r"^  \S", line):
            zone = line.strip().rstrip(":")
        if section == "fault_types" and zone == "cable_fault" and line.startswith("    customers:"):
            line = line.replace("customers:", "custmers:", 1)
        out.append(line)
        if section == "zones" and line == "  rural:":
            out.append("    limits: {arrive: -5, restore: 6 h}")
    changed = "\n".join(out) + "\n"
    assert changed.count("custmers:") == 1 and "arrive: -5" in changed
    return changed


def test_bad_input_transcript(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture) -> None:
    page = ROOT / "docs" / "scenario-format.md"
    shown = [b for b in blocks(page) if b.text.startswith(TYPO)]
    assert len(shown) == 1, f"{page.name}: expected one block starting {TYPO!r}"
    expected = shown[0].text.splitlines()[1:]
    (tmp_path / "storm_typo.yaml").write_text(storm_typo((ROOT / "scenarios" / "storm_season.yaml").read_text()))
    (tmp_path / "data").symlink_to(ROOT / "scenarios" / "data")  # the scenario names data/... beside itself
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "storm_typo.yaml"]) == 2
    out = capsys.readouterr()
    assert (out.out + out.err).rstrip("\n").splitlines() == expected


# ---------------------------------------------------------------------------------------------- yaml, links


@pytest.mark.parametrize("block", params([b for b in ALL if b.lang == "yaml"]))
def test_yaml_block_parses(block: Block) -> None:
    assert isinstance(yaml.safe_load(block.text), dict)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def unfenced(page: Path) -> str:
    """A page without its fenced blocks."""
    return re.sub(r"^```.*?^```[ \t]*$", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)


def prose(page: Path) -> str:
    """A page without its fenced blocks and inline code (where brackets are not links)."""
    return re.sub(r"`[^`\n]*`", "", unfenced(page))


def anchors(page: Path) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", unfenced(page), flags=re.M)}


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"^[a-z]+:", target):
            continue  # http:, https:, mailto:
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_every_guide_is_linked_from_the_front_page_and_the_index() -> None:
    guides = {p.name for p in (ROOT / "docs").glob("*.md") if p.name != "README.md"}
    front = {Path(t.partition("#")[0]).name for t in LINK.findall(prose(ROOT / "README.md"))
             if t.startswith("docs/")}
    index = {t.partition("#")[0] for t in LINK.findall(prose(ROOT / "docs" / "README.md"))}
    assert guides <= front, f"not linked from README.md: {sorted(guides - front)}"
    assert guides <= index, f"not linked from docs/README.md: {sorted(guides - index)}"


def test_no_python_fragments() -> None:
    """A python block is code: an ellipsis line or a YAML mapping is a fragment that should be fenced as such."""
    for b in PYTHON:
        compile(b.text, b.name, "exec")
        assert not re.search(r"^\s*\.\.\.\s*$", b.text, flags=re.M), f"{b.name}: an ellipsis line"
