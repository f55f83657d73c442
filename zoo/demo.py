"""`zoo demo`: load every family's pretrained artifacts, offline, and show each at work.

The sections are the families' own: each artifact class declares its `demo_section`
(zoo.hooks.DemoSection: a function in its family's demo.py, and where in the demo it comes), and
`main` runs them in that order. Each section ends with the one shell line that does the same thing
alone; the helpers below print them alike. The only files written under OUT are those the sections
declare (`writes`: the filter bank's contact sheet, written atomically), checked before any work;
nothing else under OUT is touched. `main` returns what the sections showed (generated texts, the
sheet's path and size), each section's dict merged into one.
"""

from __future__ import annotations

import importlib
import math
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

from zoo import registry
from zoo.errors import InvalidInputError

TEMPERATURE = 0.8  # what the language models' sections generate at


# ------------------------------------------------------------------------------- what sections call


def say(*lines: str) -> None:
    for line in lines:
        print(line)
    sys.stdout.flush()


def write(text: str) -> None:
    """Text without a line's end (generated text, streamed as it comes)."""
    sys.stdout.write(text)
    sys.stdout.flush()


_started = []  # whether a section has been printed (the first needs no blank line above it)


def header(name: str, what: str) -> None:
    """A section's first line: "== NAME: what it shows" (a blank line above all but the first)."""
    say(*([""] if _started else []), f"== {name}: {what}")
    _started.append(name)


def arg(text: str, quote: bool = False) -> str:
    """A shell argument as a person would type it: bare (unless `quote`), else in double quotes
    where that is safe."""
    if not quote and re.fullmatch(r"[\w@%+=:,./-]+", text):
        return text
    if not re.search(r'["$`\\!]', text):
        return f'"{text}"'
    return shlex.quote(text)


def path_arg(path) -> str:
    """A path as short as it can be said: relative to the current folder when it is inside it."""
    path = Path(path)
    try:
        path = Path(os.path.relpath(path)) if path.resolve().is_relative_to(Path.cwd().resolve()) else path
    except (OSError, ValueError):  # another drive (Windows)
        pass
    return arg(path.as_posix())


def run_alone(command: str) -> None:
    """A section's last line: the shell command that does the same thing alone."""
    say(f"   $ {command}")


def speaker_line(line: str) -> bool:
    """A play's speaker line ("ROMEO:", "KING RICHARD III:"): not a place for the text to end."""
    return line.rstrip().endswith(":") and len(line.split()) <= 4


class Enough(Exception):
    """Raised from a streaming callback to stop generating once the text has a good end."""


# ------------------------------------------------------------------------------- the sections


def sections() -> list:
    """The demo's sections, in order: (DemoSection or None, the registered artifacts of the
    classes that declare it). Classes sharing a section share one entry; a class without one gets
    a plain section (None), after the others."""
    found = {}
    for name, entry in registry.artifacts().items():
        cls = registry.resolve(registry.architecture(entry["architecture"])["artifact_class"])
        found.setdefault(getattr(cls, "demo_section", None), []).append(name)
    return sorted(found.items(), key=lambda item: math.inf if item[0] is None else item[0].order)


def plain_section(names: list[str]) -> None:
    """For artifacts whose class declares no demo section: what each is, and where to read more."""
    for name in names:
        architecture = registry.architecture(registry.artifact(name)["architecture"])
        header(name, architecture["task"])
        say(f"   {architecture['description']}")
        run_alone(f"zoo info {name}")


def _check_out(out: Path, files) -> None:
    """Refuse, before any work, an output the sections' files could not be written to."""
    if out.exists() and not out.is_dir():
        raise InvalidInputError(f"{out} is a file, not a folder; give another --out for the demo's picture.")
    for name in files:
        target = out / name
        if target.is_dir() and not target.is_symlink():
            raise InvalidInputError(f"{target} is a folder; give another --out for the demo's picture.")
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise InvalidInputError(f"cannot write to {out} (permission denied); give another --out.")


def main(out="demo-out") -> dict:
    """Run the demo, writing its files under OUT. Returns what the sections showed, e.g.
    {"charrnn": text, "lstm-lm": text, "sheet": path, "sheet_size": (width, height)}."""
    out = Path(out).expanduser()  # a quoted --out '~/demo' too
    ordered = sections()  # (the artifact classes' modules are light: no Keras yet)
    _check_out(out, [name for section, _ in ordered if section is not None for name in section.writes])
    importlib.import_module("zoo.models")  # Keras and its backend, without their start-up noise
    _started.clear()
    shown = {}
    for section, names in ordered:
        if section is None:
            plain_section(names)
        else:
            shown.update(registry.resolve(section.run)(out) or {})
    say("", "More: `zoo list`, `zoo info NAME`, `zoo --help`; model cards in MODEL_CARDS.md.")
    if shutil.which("zoo") is None and sys.prefix != sys.base_prefix:
        activate = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin") / "activate"
        say(f"The `zoo` lines need the virtual environment first: source {path_arg(activate)}")
    return shown
