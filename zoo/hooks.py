"""What a family's artifact class declares, so that the shared machinery (the CLI, the server,
export, the demo, fine-tuning) can find it without naming the family. Plain data, importing
nothing: `zoo --help` reads every family's verbs without loading Keras.

    class Seq2Seq(Artifact):
        tasks = (Task("text2text-generation", run="zoo.families.seq2seq.serving:translate",
                      request="zoo.families.seq2seq.serving:Text2TextRequest", widget="text2text"),)
        finetune_data = FinetuneData("pairs", "FILE.tsv", "input<TAB>target, one pair per line")
        cli_verbs = (Verb("translate", run="zoo.families.seq2seq.commands:translate", help="...",
                          arguments=(Argument("name"), Argument("texts", nargs="+"))),)

Functions and classes are named as "module:attribute" strings, imported when first used (the
module must be one of the zoo's own: `zoo.registry.resolve` refuses anything else).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Task:
    """A task `zoo serve` answers for the class's artifacts: POST /models/{name}/{task.name}
    (the class's first task is also POST /models/{name}).

    `run` names a function `run(served, request, http)`: `served` the served model
    (`served.art` loads it), `request` the body parsed by the `request` schema (the body's
    bytes when there is none), `http` the HTTP request (headers, query string). It returns the
    answer (JSON-able data, or a Response). A plain function runs on a worker thread; an
    `async def` on the event loop. zoo/server_tasks.py says more, and holds ApiError and the
    schemas' base, Strict."""

    name: str                   # the Hugging Face pipeline tag it answers as, e.g. "text-generation"
    run: str                    # "module:function" that answers one request
    request: str | None = None  # "module:Class", the JSON body's pydantic schema; None: a raw body
    widget: str = ""            # the gallery's widget kind for it ("" : none)
    description: str = ""       # one line for /docs and the gallery


@dataclass(frozen=True)
class FinetuneData:
    """The data an artifact fine-tunes on: `zoo.finetune(NAME, KEYWORD=...)` in Python and
    `zoo finetune NAME --KEYWORD ...` in the shell."""

    keyword: str                # "text", "pairs", ...
    metavar: str                # how the CLI shows the value: "FILE", "IN.png OUT.png", "FOLDER"
    what: str                   # one line: what the data is, for --help and for errors
    nargs: int = 1              # how many paths the option takes
    options: tuple[Argument, ...] = ()  # the family's own options of `zoo finetune` (e.g. --kernel-size)

    def usage(self) -> str:
        """"--pairs FILE.tsv (input<TAB>target, one pair per line)": the one-line form errors use."""
        return f"--{self.keyword} {self.metavar} ({self.what})"


@dataclass(frozen=True)
class Argument:
    """One argument of a CLI verb: argparse's add_argument(*flags, **options), as data."""

    flags: tuple[str, ...]
    options: dict = field(default_factory=dict)

    def __init__(self, *flags: str, **options):
        object.__setattr__(self, "flags", tuple(flags))
        object.__setattr__(self, "options", dict(options))


@dataclass(frozen=True)
class Verb:
    """A `zoo` sub-command a family adds (the shared verbs, list, info, train ..., are the CLI's)."""

    name: str
    run: str                    # "module:function" called with the parsed arguments
    help: str                   # one line for `zoo --help`
    description: str = ""       # the verb's own --help (help when empty)
    arguments: tuple[Argument, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoSection:
    """The class's part of `zoo demo`: a function that loads the class's pretrained artifacts
    (by name: the family knows which it shows) and shows each at work, ending with the shell
    line that does the same alone (zoo/demo.py holds the helpers it prints with)."""

    run: str                    # "module:function", called as run(out) -> a dict of what it showed, or None
    order: int                  # where it comes in the demo, lowest first (the zoo's own: 10, 20, ... 80)
    writes: tuple[str, ...] = ()  # the files it writes in the demo's OUT folder, checked before any work
