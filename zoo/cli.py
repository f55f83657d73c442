"""The `zoo` command. Every verb is declared in `build_parser` below, the one table of them; a
handler imports Keras and the family it needs only when it runs, so `zoo --help`, `zoo list`,
`zoo info` and `zoo cards --check` start without TensorFlow.

Bad input is a one-line error (`zoo: error: ...`, exit 2), never a traceback: argparse's own
errors are one line too (see `_Parser.error`), and arguments are checked by type before any model
is loaded (bits are 0 or 1, temperatures finite and >= 0, seeds in numpy's range, ...).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from zoo.errors import InvalidInputError, ZooError

MAX_GENERATE = 100_000  # tokens one `zoo generate` may ask for (more is almost surely a typo)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument on one line (with where to look), not usage + error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# ----------------------------------------------------------------------------- argument types


def _number(text: str, kind, what: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{what} must be a finite number, got {text!r}")
    return value


def _bounded(kind, what: str, low=None, high=None):
    def parse(text):
        value = _number(text, kind, what)
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{what} must be {span}, got {text}")
        return value
    parse.__name__ = what  # argparse names the type in its messages
    return parse


def _bit(text: str) -> float:
    if text.strip() not in ("0", "1", "0.0", "1.0"):
        raise argparse.ArgumentTypeError(f"XOR inputs are bits, 0 or 1; got {text!r}")
    return float(text)


SEED = _bounded(int, "the seed", 0, 2**32 - 1)
TEMPERATURE = _bounded(float, "the temperature", 0.0, 100.0)
TOP_K = _bounded(int, "top-k", 1)
TOP_P = _bounded(float, "top-p", 0.0, 1.0)
LENGTH = _bounded(int, "the length", 0, MAX_GENERATE)
COUNT = _bounded(int, "the count", 1, 10_000)
EPOCHS = _bounded(int, "the number of epochs", 1, 100_000)
BEAM = _bounded(int, "the beam size", 1, 64)
DEVICES = _bounded(int, "the number of devices", 1)
PORT = _bounded(int, "the port", 1, 65535)


def KERNEL_SIZE(text: str) -> int:  # noqa: N802  (named like the other argument types)
    value = _bounded(int, "the kernel size", 1, 7)(text)
    if value % 2 == 0:
        raise argparse.ArgumentTypeError(f"the kernel size must be odd (1, 3, 5 or 7) so the filter has a centre; got {text}")
    return value


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


def _load_kind(name: str, kinds: tuple[str, ...], what: str, examples: str):
    """Load an artifact and make sure it is of the family a verb needs."""
    from zoo import api

    art = api.load(name)
    if art.config["architecture"] not in kinds:
        raise InvalidInputError(f"{name} is a {art.config['architecture']} model, not {what}; try {examples}.")
    return art


LANGUAGE_MODELS = ("charrnn", "ngram-lm", "gru-lm", "lstm-lm")
LM_EXAMPLES = "charrnn-shakespeare or lstm-lm-shakespeare"


# ----------------------------------------------------------------------------- metadata verbs


def _cmd_list(args) -> None:
    from zoo import registry

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
    if args.kernel_size is not None:
        options["kernel_size"] = args.kernel_size
    if args.filter_name is not None:
        options["name"] = args.filter_name
    folder = api.finetune(args.name, text=args.text, pairs=args.pairs, pair=args.pair, table=args.table,
                          epochs=args.epochs, out=args.out, overwrite=args.overwrite, **options)
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


# ----------------------------------------------------------------------------- task verbs


def _stream(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def _cmd_generate(args) -> None:
    art = _load_kind(args.name, LANGUAGE_MODELS, "a language model", LM_EXAMPLES)
    _stream(args.prompt)
    art.generate(args.prompt, args.length, temperature=args.temperature, top_k=args.top_k,
                 top_p=args.top_p, seed=args.seed, stream=_stream)
    _stream("\n")


def _cmd_score(args) -> None:
    from zoo import io

    text = io.read_user_text(args.file, "to score")
    art = _load_kind(args.name, LANGUAGE_MODELS, "a language model", LM_EXAMPLES)
    print(art.score(text))


def _cmd_next(args) -> None:
    art = _load_kind(args.name, LANGUAGE_MODELS, "a language model", LM_EXAMPLES)
    for token, prob in art.next_tokens(args.context, args.k):
        print(f"{prob:8.4f}  {token!r}" if art.unit == "character" else f"{prob:8.4f}  {token}")


def _cmd_translate(args) -> None:
    art = _load_kind(args.name, ("seq2seq",), "a sequence-to-sequence model", "seq2seq-dates")
    for output, score in art.translate_with_scores(args.texts, beam_size=args.beam_size):
        print(f"{output}\t{score:.4f}" if args.scores else output)


def _cmd_similar(args) -> None:
    art = _load_kind(args.name, ("skipgram", "cbow"), "a word2vec model",
                     "skipgram-shakespeare or cbow-shakespeare")
    neighbours = art.similar(args.word, topn=args.topn)
    width = max(len(w) for w, _ in neighbours)
    for word, score in neighbours:
        print(f"{word:<{width}}  {score:.4f}")


def _cmd_xor(args) -> None:
    art = _load_kind(args.model, ("mlp-xor",), "an XOR network", "mlp-xor")
    if not args.bits:
        print(art.truth_table())
        return
    if len(args.bits) != 2:
        raise InvalidInputError(f"give exactly two inputs, e.g. `zoo xor 0 1`; got {len(args.bits)}.")
    value = art.predict([args.bits])[0]
    print(f"{value:.4f} -> {int(value > 0.5)}")


def _writable_output(path: str) -> None:
    """Refuse an output the filter could not write, before any work is done."""
    if os.path.isdir(path):
        raise InvalidInputError(f"{path} is a folder; give an output file name such as out.png.")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise InvalidInputError(f"the folder {parent} does not exist; create it or choose another output.")
    if not os.access(parent, os.W_OK):
        raise InvalidInputError(f"cannot write to {parent} (permission denied); choose another output.")


def _image_small_enough(path: str) -> None:
    """Refuse an image over the pixel limit from its header before Keras loads (seconds); any
    other problem with the file is reported where it is read."""
    from zoo.images import open_image

    try:
        open_image(path, path).close()
    except OSError:
        pass


def _cmd_filter(args) -> None:
    from zoo.families.cnn_filters import kernels

    _writable_output(args.output)
    _image_small_enough(args.input)
    # Checked before the bank (and Keras) loads, from its metadata, where the folder is at hand.
    names = kernels.bank_kernel_names(args.model)
    if names is not None and args.kernel not in names:
        raise kernels.unknown_kernel_error(args.kernel, names, args.model)
    art = _load_kind(args.model, ("cnn-filters",), "a filter bank", "cnn-filters-classic")
    art.filter_file(args.input, args.output, args.kernel)
    print(f"wrote {args.output} ({args.kernel})")


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
    from zoo import registry

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


# ----------------------------------------------------------------------------- the table of verbs


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="zoo",
        description="keras-zoo: the classic architectures of deep learning in Keras 3, with "
                    "pretrained weights that load offline. Try `zoo list`, then `zoo info NAME`.",
        epilog="Environment: ZOO_DATA_MIRROR (folder of dataset files), ZOO_CACHE_DIR, "
               "KERAS_BACKEND (tensorflow by default; jax works too), HF_TOKEN, HF_ENDPOINT.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def verb(name, handler, help, description=None, aliases=(), raw=False):
        p = sub.add_parser(name, help=help, description=description or help, aliases=list(aliases),
                           formatter_class=argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter)
        p.set_defaults(handler=handler)
        return p

    # --- what the zoo holds
    p = verb("list", _cmd_list, "list architectures and pretrained artifacts",
             "List registered names matching a shell-style pattern.")
    p.add_argument("pattern", nargs="?", default="*", help="e.g. '*lm*' (default: everything)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--pretrained", action="store_true", help="only artifacts with weights")
    group.add_argument("--architectures", action="store_true", help="only architectures")

    p = verb("info", _cmd_info, "show a registry entry or an artifact folder's facts",
             "Show an architecture's or artifact's registry entry, or an artifact folder's "
             "config (architecture, data, metrics, lineage).")
    p.add_argument("name", help="registry name or artifact folder")

    # --- use a model
    p = verb("generate", _cmd_generate, "generate text with a language model",
             "Generate text from a prompt, streaming it as it is written. LENGTH counts the "
             "model's tokens: characters for charrnn, words for the word-level models.")
    p.add_argument("name", help="artifact name or folder, e.g. charrnn-shakespeare")
    p.add_argument("--prompt", default="", help="text to start from")
    p.add_argument("--length", type=LENGTH, default=200,
                   help=f"how many tokens to add (default: 200, at most {MAX_GENERATE:,})")
    p.add_argument("--temperature", type=TEMPERATURE, default=0.8,
                   help="0 is greedy; higher is wilder (default: 0.8)")
    p.add_argument("--top-k", type=TOP_K, default=None, help="sample only among the k likeliest")
    p.add_argument("--top-p", type=TOP_P, default=None,
                   help="sample only among the likeliest tokens whose probabilities add up to P (nucleus)")
    p.add_argument("--seed", type=SEED, default=None, help="the same seed gives the same text")

    p = verb("score", _cmd_score, "how well a language model predicts a text",
             "Score a UTF-8 text file under a language model: nats and bits per character for "
             "character models, perplexity for word models. Unknown characters or words are "
             "counted and reported.", aliases=["perplexity"])
    p.add_argument("name", help="artifact, e.g. charrnn-shakespeare or lstm-lm-shakespeare")
    p.add_argument("file", help="text file to score (UTF-8)")

    p = verb("next", _cmd_next, "the likeliest next tokens after a context",
             "The k likeliest next tokens (characters, or words with </s> for a line's end) of a "
             "language model, with their probabilities.", aliases=["next-words"])
    p.add_argument("name", help="artifact, e.g. lstm-lm-shakespeare or charrnn-shakespeare")
    p.add_argument("context", help="the words so far, e.g. 'to be or not to'")
    p.add_argument("-k", type=COUNT, default=10, help="how many (default 10)")

    p = verb("translate", _cmd_translate, "rewrite text with a seq2seq model (e.g. dates to ISO 8601)",
             "Rewrite each TEXT with a sequence-to-sequence artifact and print one output a line, "
             "e.g. `zoo translate seq2seq-dates 'the 3rd of March 1999'`. An empty TEXT gives an "
             "empty line.")
    p.add_argument("name", help="artifact name or folder, e.g. seq2seq-dates")
    p.add_argument("texts", nargs="+", metavar="TEXT", help="input text(s)")
    p.add_argument("--beam-size", type=BEAM, default=1, help="1 is greedy (default); e.g. 3 for beam search")
    p.add_argument("--scores", action="store_true", help="also print each output's log-probability")

    p = verb("similar", _cmd_similar, "nearest words of a word2vec model",
             "Print the words nearest to WORD (cosine similarity of the word vectors).")
    p.add_argument("name", help="artifact name or folder, e.g. skipgram-shakespeare")
    p.add_argument("word", help="a word (lower-cased before look-up)")
    p.add_argument("--topn", type=COUNT, default=10, help="how many neighbours (default: 10)")

    p = verb("xor", _cmd_xor, "run the XOR network on a pair of bits",
             "Print the XOR network's output for x1 x2 (each 0 or 1), or its whole truth table.")
    p.add_argument("bits", nargs="*", type=_bit, help="two bits, e.g. 0 1 (omit for the truth table)")
    p.add_argument("--model", default="mlp-xor", help="artifact name or folder (default: mlp-xor)")

    p = verb("filter", _cmd_filter, "apply a classic image kernel to a PNG or JPEG",
             "Filter an image with one of a filter bank's kernels (edge-enhance, edge-detect, "
             "blur, sharpen). The output keeps the input's format unless its name says otherwise, "
             "and is written atomically.")
    p.add_argument("model", help="filter-bank artifact, e.g. cnn-filters-classic")
    p.add_argument("input", help="input image (PNG or JPEG; grayscale and alpha are handled)")
    p.add_argument("output", help="output image path (.png, .jpg or .jpeg)")
    p.add_argument("--kernel", required=True, help="kernel name, e.g. sharpen")

    # --- train, adapt, check
    p = verb("train", _cmd_train, "train an artifact with its recipe",
             "Run an artifact's recipe: data, build, fit, evaluate, write the artifact folder. "
             "Started again after an interruption, it resumes from its last checkpoint.")
    p.add_argument("name", help="artifact name, e.g. mlp-xor")
    p.add_argument("--out", help="output folder (default: runs/NAME)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace whatever is at --out (by default only an artifact the zoo wrote is replaced)")
    p.add_argument("--epochs", type=EPOCHS, help="override the recipe's number of epochs")
    p.add_argument("--seed", type=SEED, default=0, help="random seed (default: 0)")
    p.add_argument("--smoke", action="store_true", help="tiny data, one epoch: checks the recipe runs")
    p.add_argument("--data-dir", help="folder holding the dataset files (else ZOO_DATA_MIRROR, the "
                                      "package's own copy, the cache, a download)")
    p.add_argument("-o", "--option", action="append", metavar="KEY=VALUE",
                   help="a recipe-specific option (repeatable), e.g. -o pairs=my_pairs.tsv")
    p.add_argument("--devices", type=DEVICES, default=None,
                   help="train data-parallel on N local devices (GPUs; on a CPU-only machine, N "
                        "logical CPU devices). Several hosts: see KERAS_DISTRIBUTION_* in the README")
    maintainers = p.add_argument_group("for maintainers of the zoo (in a source checkout)")
    maintainers.add_argument("--register", action="store_true",
                             help="write into the package and record files and metrics in registry.json")

    p = verb("finetune", _cmd_finetune, "adapt a pretrained model to your own data",
             "Fine-tune a pretrained artifact on your own data and write a new artifact folder whose "
             "card and config name the base model, the data (sha256) and the metrics before and "
             "after. The base artifact is not changed. Each family takes one kind of data:\n"
             "  --text FILE       charrnn, ngram-lm, gru-lm, lstm-lm, skipgram, cbow\n"
             "  --pairs FILE.tsv  seq2seq (input<TAB>target per line)\n"
             "  --pair IN OUT     cnn-filters (an image and the same image filtered; with --kernel-size, --name)\n"
             "  --table FILE.csv  mlp-xor, perceptron (x1,x2,y rows of 0/1)", raw=True)
    p.add_argument("name", help="base artifact name or folder")
    data = p.add_mutually_exclusive_group()
    data.add_argument("--text", help="your text file (UTF-8)")
    data.add_argument("--pairs", help="tab-separated file of input<TAB>target pairs (seq2seq)")
    data.add_argument("--pair", nargs=2, metavar=("IN", "OUT"), help="an image and the same image filtered (cnn-filters; OUT as .npy keeps it exact)")
    data.add_argument("--table", help="CSV truth table of x1,x2,y rows (mlp-xor, perceptron)")
    p.add_argument("--kernel-size", type=KERNEL_SIZE, default=None,
                   help="cnn-filters: the size of the filter to learn (odd, 1 to 7; default 3)")
    p.add_argument("--name", dest="filter_name", default=None, help="cnn-filters: the learned filter's name in the bank")
    p.add_argument("--epochs", type=EPOCHS, default=None, help="epochs over your data (default: the recipe's)")
    p.add_argument("--out", default="runs/finetuned", help="output folder (default: runs/finetuned)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace whatever is at --out (by default only an artifact the zoo wrote is replaced)")
    p.add_argument("-o", "--option", action="append", metavar="KEY=VALUE", help="recipe-specific option")

    p = verb("serve", _cmd_serve, "serve models over HTTP, with a gallery page to try them",
             "Serve models behind an HTTP API (the Hugging Face Inference API's shapes) and a gallery "
             "page at / to try them in a browser; OpenAPI docs at /docs. Binds 127.0.0.1 unless "
             "--host says otherwise. Needs the serve extra: pip install 'keras-zoo[serve]'.")
    p.add_argument("names", nargs="*", metavar="NAME", help="registry names or artifact folders (default: every pretrained model)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=PORT, default=8000, help="port (default: 8000)")
    p.add_argument("--token", default=None,
                   help="require `Authorization: Bearer TOKEN` on every API request (or set ZOO_SERVE_TOKEN)")
    p.add_argument("--allowed-host", action="append", metavar="NAME",
                   help="another host name the server is reached by (repeatable); a request naming any other "
                        "host in its Host header is refused, so that no web page can reach it by a name of its own "
                        "(DNS rebinding)")

    p = verb("eval", _cmd_eval, "re-measure an artifact's metrics",
             "Re-measure an artifact's metrics with its recipe's evaluation and compare them with "
             "the registered ones (exit 2 if any differ).")
    p.add_argument("name", help="artifact name or folder")
    p.add_argument("--data-dir", help="folder holding the dataset files")

    # --- share
    p = verb("publish", _cmd_publish, "upload an artifact to the Hugging Face Hub",
             "Check an artifact folder (every file against its sha256, the model card's front "
             "matter) and upload it to a Hub model repository, creating it if needed. Prints the "
             "commit's URL. The token comes from --token, HF_TOKEN or `hf auth login`; HF_ENDPOINT "
             "picks another Hub.")
    p.add_argument("artifact", nargs="?", help="artifact folder (e.g. runs/mine) or registry name")
    p.add_argument("repo_id", nargs="?", help="owner/name of the Hub repository")
    p.add_argument("--all", action="store_true",
                   help="publish every registry artifact, each to ORG/NAME (maintainers; see CONTRIBUTING.md)")
    p.add_argument("--org", default=registry_org(),
                   help=f"with --all: the organisation or user to publish to (default: {registry_org()})")
    p.add_argument("--record", action="store_true",
                   help="with --all: pin each registry source to the commit just made (source checkout only)")
    p.add_argument("--private", action="store_true", help="create the repository as private")
    p.add_argument("--revision", help="branch to commit to (created if missing; default: main)")
    p.add_argument("--message", help="commit message")
    p.add_argument("--token", help="Hub token (better: set HF_TOKEN or run `hf auth login`)")

    p = verb("download", _cmd_download, "fetch an artifact from the Hub into the cache, verified",
             "Download a registry artifact through its pinned Hub source, or any "
             "hf://owner/name[@revision], into the Hugging Face cache (HF_HOME / HF_HUB_CACHE), "
             "checking every file's sha256. Later loads, offline too (HF_HUB_OFFLINE=1), come "
             "from the cache.")
    p.add_argument("name", help="registry artifact name, or hf://owner/name[@revision]")

    p = verb("cache", _cmd_cache, "list or remove the artifacts downloaded from the Hub",
             "The Hugging Face cache (HF_HOME / HF_HUB_CACHE) as huggingface_hub's scan_cache_dir "
             "sees it: `zoo cache ls` lists each model repository with its size, revisions and the "
             "registry name it holds; `zoo cache rm NAME` (or hf://owner/name) deletes every cached "
             "revision of it.")
    p.add_argument("action", choices=["ls", "rm"], help="ls: list; rm: remove one repository")
    p.add_argument("name", nargs="?", help="with rm: a registry name or hf://owner/name")

    from zoo.exporting import FORMATS  # (stdlib only: no backend is imported for --help)

    p = verb("export", _cmd_export, "export a model for a serving engine (SavedModel, ONNX, LiteRT)",
             "Export an artifact's network through Keras's model.export: saved_model (TF Serving, "
             "KServe), onnx (onnxruntime) or litert (.tflite). Beside the model file, README.md and "
             "export.json say how to drive it: inputs, outputs, vocabulary, and for the language "
             "models and seq2seq the generation or decoding loop, which stays outside the network. "
             "The export is checked against Keras before it is kept. Needs "
             "`pip install 'keras-zoo[export]'`.")
    p.add_argument("name", help="artifact name or folder, e.g. lstm-lm-shakespeare")
    p.add_argument("--format", required=True, choices=list(FORMATS), help="the export format")
    p.add_argument("--out", required=True,
                   help="new output folder (for TF Serving, a numbered version folder: models/NAME/1)")
    p.add_argument("--overwrite", action="store_true", help="replace whatever is at --out")

    # --- tour and upkeep
    p = verb("demo", _cmd_demo, "load the pretrained models and show each at work")
    p.add_argument("--out", default="demo-out", help="folder for the demo's pictures (default: demo-out)")

    p = verb("cards", _cmd_cards, "re-render the packaged cards, MODEL_CARDS.md and the README's tables (maintainers)",
             "Re-render the generated parts of every packaged model card (the Hub front matter and "
             "the Use section; their sha256 re-pinned in zoo.json and registry.json), then "
             "MODEL_CARDS.md and the README's generated tables (in a source checkout of the zoo). "
             "--check reports what differs, and each card the Hub would refuse, without writing.")
    p.add_argument("--check", action="store_true",
                   help="only check that they, and the front matter of the packaged cards, are up to date and "
                        "as the Hub accepts it (exit 2 if not)")
    return parser


def main(argv=None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 0
        args.handler(args)
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
