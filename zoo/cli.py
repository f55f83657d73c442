"""The `zoo` command. Its verbs are data (zoo.hooks.Verb): the zoo's own verbs in the tables
below, and the verbs each family's artifact class declares (its `cli_verbs`, e.g. `zoo translate`
from Seq2Seq, `zoo generate` from every LanguageModel), read from the classes the registry names.
`build_parser` turns them into argparse parsers in one loop. A verb's `run` ("module:function")
is imported only when the verb runs, so `zoo --help`, `zoo list`, `zoo info` and `zoo cards
--check` start without TensorFlow (the artifact classes' modules are light).

An Argument's options are argparse's, plus two of the table's own: `group="TITLE"` puts the
argument in a titled section of the verb's --help, `exclusive="KEY"` allows at most one of the
arguments that share KEY.

Bad input is a one-line error (`zoo: error: ...`, exit 2), never a traceback: argparse's own
errors are one line too (see `_Parser.error`), and arguments are checked by type before any model
is loaded (zoo/cli_types.py: bits are 0 or 1, temperatures finite and >= 0, seeds in numpy's range, ...).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys

from zoo import registry
from zoo.cli_types import DEVICES, EPOCHS, PORT, SEED
from zoo.errors import InvalidInputError, ZooError
from zoo.hooks import Argument, Verb


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument on one line (with where to look), not usage + error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# ----------------------------------------------------------------------------- what the verbs run


def _options(pairs) -> dict:
    """-o KEY=VALUE pairs; values are JSON where they parse (numbers, true), else strings."""
    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInputError(f"--option takes KEY=VALUE, got {pair!r}.")
        try:
            options[key.replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            options[key.replace("-", "_")] = value  # a plain string, e.g. a path
    return options


# ----------------------------------------------------------------------------- metadata verbs


def _cmd_list(args) -> None:
    pretrained = True if args.pretrained else False if args.architectures else None
    reg = registry.load_registry()
    names = registry.list_models(args.pattern, pretrained=pretrained)
    if not names:
        print(f"no registered name matches {args.pattern!r}")
        return
    width = max(map(len, names))
    for name in names:
        if name in reg["artifacts"]:
            entry = reg["artifacts"][name]
            metrics = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                for k, v in list(entry.get("metrics", {}).items())[:3])
            print(f"{name:<{width}}  artifact      ({entry['architecture']})  {metrics}")
        else:
            print(f"{name:<{width}}  architecture  {reg['architectures'][name]['task']}")


def _print_entry(entry: dict) -> None:
    for key, value in entry.items():
        if key in ("name", "kind"):
            continue
        if isinstance(value, dict):
            print(f"  {key}:")
            for k, v in value.items():
                print(f"    {k}: {v}")
        else:
            print(f"  {key}: {value}")


def _cmd_info(args) -> None:
    from zoo import api

    entry = api.info(args.name)
    print(f"{entry['name']} ({entry['kind']})")
    _print_entry(entry)


def _cmd_cards(args) -> None:
    from zoo import cards, registry

    registry.require_source_checkout("`zoo cards`")
    if args.check:
        stale = cards.stale_files()
        problems = cards.packaged_card_problems()  # reported, never rewritten here
        for problem in problems:
            print(problem, file=sys.stderr)
        reasons = []
        if problems:
            reasons.append(f"{len(problems)} problem(s) in the packaged cards (listed above): run `zoo cards` "
                           "to re-render their generated parts")
        if stale:
            reasons.append(f"{', '.join(stale)} out of date with the artifacts' cards: run `zoo cards`")
        if reasons:
            raise ZooError("; ".join(reasons) + ".")
        print("MODEL_CARDS.md and README.md are up to date, and every packaged card's front matter is as generated")
        return
    refreshed = cards.refresh_packaged_cards()  # front matter and Use section, hashes re-pinned
    if refreshed:
        print(f"re-rendered the cards of {', '.join(refreshed)} (zoo.json and registry.json re-pinned)")
    changed = cards.write_all()
    print(f"updated {', '.join(changed)}" if changed else "MODEL_CARDS.md and README.md are up to date")


# ----------------------------------------------------------------------------- training verbs


def _cmd_train(args) -> None:
    from zoo import api, distribute

    folder = api.train(args.name, out=args.out, smoke=args.smoke, epochs=args.epochs, seed=args.seed,
                       register=args.register, data_dir=args.data_dir, devices=args.devices,
                       overwrite=args.overwrite, **_options(args.option))
    if distribute.is_coordinator():
        print(f"artifact written to {folder}; load it with zoo.load({str(folder)!r})")


def _cmd_finetune(args) -> None:
    from zoo import api

    options = _options(args.option)
    data, family_options = _finetune_declarations()
    given = {keyword: getattr(args, keyword) for keyword in data if getattr(args, keyword) is not None}
    options.update({dest: getattr(args, dest) for dest in family_options if getattr(args, dest) is not None})
    folder = api.finetune(args.base, epochs=args.epochs, out=args.out, overwrite=args.overwrite, **given, **options)
    print(f"fine-tuned artifact written to {folder}; load it with zoo.load({str(folder)!r})")


def _cmd_serve(args) -> None:
    try:
        from zoo import serve
    except ImportError as error:
        raise ZooError(f"zoo serve needs {error.name}: pip install 'keras-zoo[serve]'") from None
    serve.serve(args.names, host=args.host, port=args.port, token=args.token, allowed_hosts=args.allowed_host or ())


def _cmd_eval(args) -> None:
    from zoo import api

    results = api.evaluate(args.name, data_dir=args.data_dir)
    width = max([len(k) for k in results] + [6])
    print(f"{'metric':<{width}}  {'registered':>12}  {'measured':>12}  ok")
    for key, row in results.items():
        fmt = lambda v: f"{v:12.6g}" if isinstance(v, (int, float)) else f"{str(v):>12}"  # noqa: E731
        print(f"{key:<{width}}  {fmt(row['registered'])}  {fmt(row['measured'])}  {'yes' if row['ok'] else 'NO'}")
    if not all(row["ok"] for row in results.values()):
        raise ZooError("some re-measured metrics differ from the registered ones (see the table).")


def _cmd_demo(args) -> None:
    from zoo import demo

    demo.main(out=args.out)


def _cmd_publish(args) -> None:
    from zoo import publishing

    if args.all:
        if args.artifact or args.repo_id:
            raise InvalidInputError("give either --all or an ARTIFACT and a REPO_ID, not both.")
        commits = publishing.publish_all(args.org, record=args.record, token=args.token)
        print(f"published {len(commits)} artifacts to hf://{args.org}/"
              + ("; registry.json records their commits" if args.record else ""))
        return
    if args.org != registry_org() or args.record:
        raise InvalidInputError("--org and --record go with --all.")
    if not (args.artifact and args.repo_id):
        raise InvalidInputError("give the ARTIFACT (a folder or registry name) and the REPO_ID (owner/name) "
                                "to publish to, or --all for every registry artifact.")
    url = publishing.publish(args.artifact, repo_id=args.repo_id, private=args.private,
                      revision=args.revision, token=args.token, commit_message=args.message)
    commit = url.rstrip("/").rsplit("/", 1)[-1]
    print(f"published {args.artifact} to {url}")
    print(f"load it with: zoo.load('hf://{args.repo_id}@{commit}')")


def registry_org() -> str:
    return registry.DEFAULT_HUB_ORG


def _cmd_cache(args) -> None:
    from zoo import hub

    if args.action == "rm":
        if not args.name:
            raise InvalidInputError("`zoo cache rm` needs a NAME (a registry name or hf://owner/name); "
                                    "`zoo cache ls` lists what is cached.")
        repo_id, freed = hub.remove_cached(args.name)
        print(f"removed {repo_id} from the cache ({freed} freed)")
        return
    if args.name:
        raise InvalidInputError("`zoo cache ls` takes no NAME.")
    repos = hub.cached_repos()
    if not repos:
        print(f"the Hugging Face cache ({hub.cache_dir()}) holds no model repositories")
        return
    print(f"{'repository':<40} {'registry name':<24} {'size':>9} {'revisions':>9} {'files':>5}")
    for repo in repos:
        print(f"{repo['repo_id']:<40} {repo['name'] or '-':<24} {repo['size_text']:>9} "
              f"{len(repo['revisions']):>9} {repo['files']:>5}")
    print(f"({hub.cache_dir()}; `zoo cache rm NAME` removes one)")


def _cmd_export(args) -> None:
    from zoo import api

    folder = api.export(args.name, format=args.format, out=args.out, overwrite=args.overwrite)
    print(f"{args.format} export of {args.name} written to {folder} (checked against Keras); "
          f"how to drive it: {folder / 'README.md'}")


def _cmd_download(args) -> None:
    from zoo import resolver

    resolved = resolver.fetch(args.name)
    count = len(resolved.read_config()["files"]) + 1  # and the metadata file itself
    print(f"{resolved.source}: {count} files verified in {resolved.folder}")


# ----------------------------------------------------------------------------- for the families' verbs


def load_as(name: str, kind: type, what: str):
    """Load an artifact and make sure it is a `kind` (a class, subclasses included), the class
    a verb works on; if not, the error names the registry's pretrained artifacts that are."""
    from zoo import api

    art = api.load(name)
    if not isinstance(art, kind):
        examples = [artifact for artifact, entry in sorted(registry.artifacts().items())
                    if issubclass(registry.artifact_class(entry["architecture"]), kind)]
        if len(examples) > 1:
            examples = [", ".join(examples[:-1]), examples[-1]]
        hint = f"; try {' or '.join(examples)}" if examples else ""
        raise InvalidInputError(f"{name} is a {art.config['architecture']} model, not {what}{hint}.")
    return art


# ----------------------------------------------------------------------------- the tables of verbs

OUT_HELP = "replace whatever is at --out (by default only an artifact the zoo wrote is replaced)"

WHAT_THE_ZOO_HOLDS = (
    Verb("list", run="zoo.cli:_cmd_list", help="list architectures and pretrained artifacts",
         description="List registered names matching a shell-style pattern.",
         arguments=(
             Argument("pattern", nargs="?", default="*", help="e.g. '*lm*' (default: everything)"),
             Argument("--pretrained", action="store_true", exclusive="kind", help="only artifacts with weights"),
             Argument("--architectures", action="store_true", exclusive="kind", help="only architectures"))),
    Verb("info", run="zoo.cli:_cmd_info", help="show a registry entry or an artifact folder's facts",
         description="Show an architecture's or artifact's registry entry, or an artifact folder's "
                     "config (architecture, data, metrics, lineage).",
         arguments=(Argument("name", help="registry name or artifact folder"),)),
)

TRAIN = Verb(
    "train", run="zoo.cli:_cmd_train", help="train an artifact with its recipe",
    description="Run an artifact's recipe: data, build, fit, evaluate, write the artifact folder. "
                "Started again after an interruption, it resumes from its last checkpoint.",
    arguments=(
        Argument("name", help="artifact name, e.g. mlp-xor"),
        Argument("--out", help="output folder (default: runs/NAME)"),
        Argument("--overwrite", action="store_true", help=OUT_HELP),
        Argument("--epochs", type=EPOCHS, help="override the recipe's number of epochs"),
        Argument("--seed", type=SEED, default=0, help="random seed (default: 0)"),
        Argument("--smoke", action="store_true", help="tiny data, one epoch: checks the recipe runs"),
        Argument("--data-dir", help="folder holding the dataset files (else ZOO_DATA_MIRROR, the "
                                    "package's own copy, the cache, a download)"),
        Argument("-o", "--option", action="append", metavar="KEY=VALUE",
                 help="a recipe-specific option (repeatable), e.g. -o pairs=my_pairs.tsv"),
        Argument("--devices", type=DEVICES, default=None,
                 help="train data-parallel on N local devices (GPUs; on a CPU-only machine, N "
                      "logical CPU devices). Several hosts: see KERAS_DISTRIBUTION_* in the README"),
        Argument("--register", action="store_true", group="for maintainers of the zoo (in a source checkout)",
                 help="write into the package and record files and metrics in registry.json")))

SERVE_AND_EVAL = (
    Verb("serve", run="zoo.cli:_cmd_serve", help="serve models over HTTP, with a gallery page to try them",
         description="Serve models behind an HTTP API (the Hugging Face Inference API's shapes) and a gallery "
                     "page at / to try them in a browser; OpenAPI docs at /docs. Binds 127.0.0.1 unless "
                     "--host says otherwise. Needs the serve extra: pip install 'keras-zoo[serve]'.",
         arguments=(
             Argument("names", nargs="*", metavar="NAME",
                      help="registry names or artifact folders (default: every pretrained model)"),
             Argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)"),
             Argument("--port", type=PORT, default=8000, help="port (default: 8000)"),
             Argument("--token", default=None,
                      help="require `Authorization: Bearer TOKEN` on every API request (or set ZOO_SERVE_TOKEN)"),
             Argument("--allowed-host", action="append", metavar="NAME",
                      help="another host name the server is reached by (repeatable); a request naming any other "
                           "host in its Host header is refused, so that no web page can reach it by a name of its "
                           "own (DNS rebinding)"))),
    Verb("eval", run="zoo.cli:_cmd_eval", help="re-measure an artifact's metrics",
         description="Re-measure an artifact's metrics with its recipe's evaluation and compare them with "
                     "the registered ones (exit 2 if any differ).",
         arguments=(Argument("name", help="artifact name or folder"),
                    Argument("--data-dir", help="folder holding the dataset files"))),
)


def _publish_verb() -> Verb:
    org = registry_org()
    return Verb(
        "publish", run="zoo.cli:_cmd_publish", help="upload an artifact to the Hugging Face Hub",
        description="Check an artifact folder (every file against its sha256, the model card's front "
                    "matter) and upload it to a Hub model repository, creating it if needed. Prints the "
                    "commit's URL. The token comes from --token, HF_TOKEN or `hf auth login`; HF_ENDPOINT "
                    "picks another Hub.",
        arguments=(
            Argument("artifact", nargs="?", help="artifact folder (e.g. runs/mine) or registry name"),
            Argument("repo_id", nargs="?", help="owner/name of the Hub repository"),
            Argument("--all", action="store_true",
                     help="publish every registry artifact, each to ORG/NAME (maintainers; see CONTRIBUTING.md)"),
            Argument("--org", default=org, help=f"with --all: the organisation or user to publish to (default: {org})"),
            Argument("--record", action="store_true",
                     help="with --all: pin each registry source to the commit just made (source checkout only)"),
            Argument("--private", action="store_true", help="create the repository as private"),
            Argument("--revision", help="branch to commit to (created if missing; default: main)"),
            Argument("--message", help="commit message"),
            Argument("--token", help="Hub token (better: set HF_TOKEN or run `hf auth login`)")))


HUB_CACHE = (
    Verb("download", run="zoo.cli:_cmd_download", help="fetch an artifact from the Hub into the cache, verified",
         description="Download a registry artifact through its pinned Hub source, or any "
                     "hf://owner/name[@revision], into the Hugging Face cache (HF_HOME / HF_HUB_CACHE), "
                     "checking every file's sha256. Later loads, offline too (HF_HUB_OFFLINE=1), come "
                     "from the cache.",
         arguments=(Argument("name", help="registry artifact name, or hf://owner/name[@revision]"),)),
    Verb("cache", run="zoo.cli:_cmd_cache", help="list or remove the artifacts downloaded from the Hub",
         description="The Hugging Face cache (HF_HOME / HF_HUB_CACHE) as huggingface_hub's scan_cache_dir "
                     "sees it: `zoo cache ls` lists each model repository with its size, revisions and the "
                     "registry name it holds; `zoo cache rm NAME` (or hf://owner/name) deletes every cached "
                     "revision of it.",
         arguments=(Argument("action", choices=["ls", "rm"], help="ls: list; rm: remove one repository"),
                    Argument("name", nargs="?", help="with rm: a registry name or hf://owner/name"))),
)


def _export_verb() -> Verb:
    from zoo.exporting import FORMATS  # (stdlib only: no backend is imported for --help)

    return Verb(
        "export", run="zoo.cli:_cmd_export", help="export a model for a serving engine (SavedModel, ONNX, LiteRT)",
        description="Export an artifact's network through Keras's model.export: saved_model (TF Serving, "
                    "KServe), onnx (onnxruntime) or litert (.tflite). Beside the model file, README.md and "
                    "export.json say how to drive it: inputs, outputs, vocabulary, and for the language "
                    "models and seq2seq the generation or decoding loop, which stays outside the network. "
                    "The export is checked against Keras before it is kept. Needs "
                    "`pip install 'keras-zoo[export]'`.",
        arguments=(
            Argument("name", help="artifact name or folder, e.g. lstm-lm-shakespeare"),
            Argument("--format", required=True, choices=list(FORMATS), help="the export format"),
            Argument("--out", required=True,
                     help="new output folder (for TF Serving, a numbered version folder: models/NAME/1)"),
            Argument("--overwrite", action="store_true", help="replace whatever is at --out")))


TOUR_AND_UPKEEP = (
    Verb("demo", run="zoo.cli:_cmd_demo", help="load the pretrained models and show each at work",
         arguments=(Argument("--out", default="demo-out", help="folder for the demo's pictures (default: demo-out)"),)),
    Verb("cards", run="zoo.cli:_cmd_cards",
         help="re-render the packaged cards, MODEL_CARDS.md and the README's tables (maintainers)",
         description="Re-render the generated parts of every packaged model card (the Hub front matter and "
                     "the Use section; their sha256 re-pinned in zoo.json and registry.json), then "
                     "MODEL_CARDS.md and the README's generated tables (in a source checkout of the zoo). "
                     "--check reports what differs, and each card the Hub would refuse, without writing.",
         arguments=(Argument("--check", action="store_true",
                             help="only check that they, and the front matter of the packaged cards, are up to "
                                  "date and as the Hub accepts it (exit 2 if not)"),)),
)


# ----------------------------------------------------------------------------- what the families declare


@functools.cache
def _artifact_classes() -> dict[type, list[str]]:
    """Each registered artifact class with its architectures, in the registry's (sorted) order:
    imports only the classes' modules."""
    classes: dict[type, list[str]] = {}
    for architecture in sorted(registry.architectures()):
        classes.setdefault(registry.artifact_class(architecture), []).append(architecture)
    return classes


def _family_verbs() -> list[Verb]:
    """The verbs the artifact classes declare, each once (a base class's verbs are shared by its
    subclasses), in the order of the classes, then of the declarations."""
    verbs: dict[str, Verb] = {}
    for cls in _artifact_classes():
        for verb in getattr(cls, "cli_verbs", ()):
            if verbs.setdefault(verb.name, verb) != verb:
                raise RuntimeError(f"two artifact classes declare different `zoo {verb.name}` verbs")
    return list(verbs.values())


def _dest(argument: Argument) -> str:
    return argument.options.get("dest") or argument.flags[0].lstrip("-").replace("-", "_")


@functools.cache
def _finetune_declarations() -> tuple[dict, dict]:
    """The kinds of data the classes fine-tune on, {keyword: [(FinetuneData, [architectures]), ...]}
    (one entry per different declaration), and the classes' own options of `zoo finetune`,
    {dest: (Argument, [architectures])}."""
    data: dict[str, list] = {}
    options: dict[str, tuple] = {}
    for cls, architectures in _artifact_classes().items():
        declared = getattr(cls, "finetune_data", None)
        if declared is None:
            continue
        meanings = data.setdefault(declared.keyword, [])
        same = [names for other, names in meanings if other == declared]
        if same:
            same[0].extend(architectures)
        else:
            meanings.append((declared, list(architectures)))
        for argument in declared.options:
            options.setdefault(_dest(argument), (argument, []))[1].extend(architectures)
    return data, options


def _finetune_verb() -> Verb:
    """`zoo finetune`: one option per kind of data (a kind two families share is one option whose
    help gives both meanings), then the families' own options, named after their families."""
    data, family_options = _finetune_declarations()
    usage, arguments = [], [Argument("base", metavar="name", help="base artifact name or folder")]
    for keyword, meanings in data.items():
        first = meanings[0][0]
        architectures = ", ".join(name for _, names in meanings for name in names)
        extras = [flag for declared, _ in meanings for a in declared.options for flag in a.flags if flag.startswith("--")]
        usage.append((f"--{keyword} {first.metavar}", architectures + (f" (with {', '.join(extras)})" if extras else "")))
        arguments.append(Argument(
            f"--{keyword}", nargs=None if first.nargs == 1 else first.nargs, exclusive="data",
            metavar=tuple(first.metavar.split()) if first.nargs > 1 else first.metavar,
            help="; ".join(f"{declared.what} ({', '.join(names)})" for declared, names in meanings)))
    for dest, (argument, architectures) in family_options.items():
        help_text = f"{', '.join(architectures)}: {argument.options.get('help', '')}"
        arguments.append(Argument(*argument.flags, **{**argument.options, "dest": dest, "help": help_text}))
    width = max([len(option) for option, _ in usage] + [0])
    return Verb(
        "finetune", run="zoo.cli:_cmd_finetune", help="adapt a pretrained model to your own data",
        description="Fine-tune a pretrained artifact on your own data and write a new artifact folder whose "
                    "card and config name the base model, the data (sha256) and the metrics before and "
                    "after. The base artifact is not changed. Each family takes one kind of data:\n"
                    + "\n".join(f"  {option:<{width}}  {who}" for option, who in usage),
        arguments=(*arguments,
                   Argument("--epochs", type=EPOCHS, default=None, help="epochs over your data (default: the recipe's)"),
                   Argument("--out", default="runs/finetuned", help="output folder (default: runs/finetuned)"),
                   Argument("--overwrite", action="store_true", help=OUT_HELP),
                   Argument("-o", "--option", action="append", metavar="KEY=VALUE", help="recipe-specific option")))


# ----------------------------------------------------------------------------- from data to argparse


def all_verbs() -> list[Verb]:
    """Every verb of `zoo`, in the order `zoo --help` lists them."""
    verbs = [*WHAT_THE_ZOO_HOLDS, *_family_verbs(), TRAIN, _finetune_verb(), *SERVE_AND_EVAL,
             _publish_verb(), *HUB_CACHE, _export_verb(), *TOUR_AND_UPKEEP]
    names = [name for verb in verbs for name in (verb.name, *verb.aliases)]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise RuntimeError(f"two verbs are named {', '.join(clashes)}")
    return verbs


def _add_verb(sub, verb: Verb) -> None:
    """One sub-command from its Verb: a description with line breaks keeps them."""
    formatter = argparse.RawDescriptionHelpFormatter if "\n" in verb.description else argparse.HelpFormatter
    parser = sub.add_parser(verb.name, help=verb.help, description=verb.description or verb.help,
                            aliases=list(verb.aliases), formatter_class=formatter)
    parser.set_defaults(run=verb.run)
    sections = {}  # the titled groups and the exclusive ones, made when first named
    for argument in verb.arguments:
        options, target = dict(argument.options), parser
        if "group" in options:
            title = options.pop("group")
            if title not in sections:
                sections[title] = parser.add_argument_group(title)
            target = sections[title]
        if "exclusive" in options:
            key = ("exclusive", options.pop("exclusive"))
            if key not in sections:
                sections[key] = target.add_mutually_exclusive_group()
            target = sections[key]
        target.add_argument(*argument.flags, **options)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="zoo",
        description="keras-zoo: the classic architectures of deep learning in Keras 3, with "
                    "pretrained weights that load offline. Try `zoo list`, then `zoo info NAME`.",
        epilog="Environment: ZOO_DATA_MIRROR (folder of dataset files), ZOO_CACHE_DIR, "
               "KERAS_BACKEND (tensorflow by default; jax works too), HF_TOKEN, HF_ENDPOINT.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for verb in all_verbs():
        _add_verb(sub, verb)
    return parser


def main(argv=None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help()
            return 0
        registry.resolve(args.run)(args)
        return 0
    except ZooError as error:
        print(f"zoo: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `zoo list | head`
        return 0
    except OSError as error:  # the disk or the system said no (permissions, space, ...)
        print(f"zoo: error: {error.strerror or error}{f': {error.filename}' if error.filename else ''}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("zoo: interrupted (a `zoo train` run resumes where it stopped when started again)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
