"""The `zoo` command: list, info, train, eval, cards, demo, and each family's own verbs.

Each model family module may define `add_commands(subparsers)`; the CLI finds them through the
registry's build functions, so a new family adds its verbs without editing this file.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys

import zoo  # noqa: E402,F401  (imports the backend quietly)

from zoo import registry  # noqa: E402
from zoo.errors import ZooError  # noqa: E402


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


def _cmd_info(args) -> None:
    from zoo import api

    entry = api.info(args.name)
    print(f"{entry['name']} ({entry['kind']})")
    for key, value in entry.items():
        if key in ("name", "kind"):
            continue
        if isinstance(value, dict):
            print(f"  {key}:")
            for k, v in value.items():
                print(f"    {k}: {v}")
        else:
            print(f"  {key}: {value}")


def _cmd_train(args) -> None:
    from zoo import api

    from zoo import distribute

    folder = api.train(args.name, out=args.out, smoke=args.smoke, epochs=args.epochs, seed=args.seed,
                       register=args.register, data_dir=args.data_dir, devices=args.devices,
                       **_parse_options(args.option))
    if distribute.is_coordinator():
        print(f"artifact written to {folder}; load it with zoo.load({str(folder)!r})")


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


def _cmd_cards(args) -> None:
    from zoo import cards

    changed = cards.write_all()
    print(f"updated {', '.join(changed)}" if changed else "MODEL_CARDS.md and README.md are up to date")


def _parse_options(pairs) -> dict:
    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ZooError(f"--option takes KEY=VALUE, got {pair!r}.")
        try:
            options[key.replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            options[key.replace("-", "_")] = value  # a plain string, e.g. a path
    return options


def _cmd_generate(args) -> None:
    from zoo import api

    if args.length < 0:
        raise ZooError(f"--length must be 0 or more, got {args.length}.")
    if args.temperature < 0:
        raise ZooError(f"--temperature must be 0 (greedy) or more, got {args.temperature}.")
    if args.top_k is not None and args.top_k < 1:
        raise ZooError(f"--top-k must be at least 1, got {args.top_k}.")
    art = api.load(args.name)
    if not hasattr(art, "generate"):
        raise ZooError(f"{args.name} ({art.config['architecture']}) does not generate text.")

    def stream(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    stream(args.prompt)
    art.generate(args.prompt, args.length, temperature=args.temperature, top_k=args.top_k,
                 seed=args.seed, on_text=stream)
    stream("\n")


def _cmd_finetune(args) -> None:
    from zoo import api

    folder = api.finetune(args.name, text=args.text, epochs=args.epochs, out=args.out,
                          **_parse_options(args.option))
    print(f"fine-tuned artifact written to {folder}; load it with zoo.load({str(folder)!r})")


def _cmd_demo(args) -> None:
    from zoo import demo

    demo.main(out=args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoo",
        description="keras-zoo: the classic architectures of deep learning in Keras 3, with "
                    "pretrained weights that load offline. Try `zoo list`, then `zoo info NAME`.",
        epilog="Environment: ZOO_DATA_MIRROR (folder of dataset files), ZOO_CACHE_DIR, "
               "KERAS_BACKEND (tensorflow by default; jax works too).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list architectures and pretrained artifacts",
                       description="List registered names matching a shell-style pattern.")
    p.add_argument("pattern", nargs="?", default="*", help="e.g. '*lm*' (default: everything)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--pretrained", action="store_true", help="only artifacts with weights")
    group.add_argument("--architectures", action="store_true", help="only architectures")
    p.set_defaults(handler=_cmd_list)

    p = sub.add_parser("info", help="show a registry entry", description="Show an architecture's or artifact's registry entry.")
    p.add_argument("name")
    p.set_defaults(handler=_cmd_info)

    p = sub.add_parser("train", help="train an artifact with its recipe",
                       description="Run an artifact's recipe: data, build, fit, evaluate, write the "
                                   "artifact folder. Started again after an interruption, it "
                                   "resumes from the last finished epoch.")
    p.add_argument("name", help="artifact name, e.g. mlp-xor")
    p.add_argument("--out", help="output folder (default: runs/NAME)")
    p.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--smoke", action="store_true", help="tiny data, one epoch: checks the recipe runs")
    p.add_argument("--register", action="store_true",
                   help="write into the package and record files and metrics in registry.json")
    p.add_argument("--data-dir", help="folder holding the dataset files (else ZOO_DATA_MIRROR, cache, download)")
    p.add_argument("-o", "--option", action="append", metavar="KEY=VALUE",
                   help="a recipe-specific option (repeatable), e.g. -o pairs=my_pairs.tsv")
    p.add_argument("--devices", type=int, default=None,
                   help="train data-parallel on N local devices (GPUs; on a CPU-only machine, N "
                        "logical CPU devices). Several hosts: see KERAS_DISTRIBUTION_* in the README")
    p.set_defaults(handler=_cmd_train)

    p = sub.add_parser("generate", help="generate text with a language model",
                       description="Generate text from a prompt, streaming it as it is written. "
                                   "LENGTH counts the model's units: characters for charrnn, words "
                                   "for word-level language models.")
    p.add_argument("name", help="artifact name or folder, e.g. charrnn-shakespeare")
    p.add_argument("--prompt", default="", help="text to start from")
    p.add_argument("--length", type=int, default=200, help="how many characters/words to add (default: 200)")
    p.add_argument("--temperature", type=float, default=0.8, help="0 is greedy; higher is wilder (default: 0.8)")
    p.add_argument("--top-k", type=int, default=None, help="sample only among the k likeliest")
    p.add_argument("--seed", type=int, default=None, help="the same seed gives the same text")
    p.set_defaults(handler=_cmd_generate)

    p = sub.add_parser("finetune", help="continue training a pretrained model on your text",
                       description="Fine-tune a pretrained artifact on a text file and write a new "
                                   "artifact folder (the base artifact is not changed).")
    p.add_argument("name", help="base artifact name or folder")
    p.add_argument("--text", required=True, help="your text file (UTF-8)")
    p.add_argument("--epochs", type=int, default=1, help="epochs over your text (default: 1)")
    p.add_argument("--out", default="runs/finetuned", help="output folder (default: runs/finetuned)")
    p.add_argument("-o", "--option", action="append", metavar="KEY=VALUE", help="recipe-specific option")
    p.set_defaults(handler=_cmd_finetune)

    p = sub.add_parser("eval", help="re-measure an artifact's metrics",
                       description="Re-measure an artifact's metrics with its recipe's evaluation "
                                   "and compare them with the registered ones (exit 2 if any differ).")
    p.add_argument("name", help="artifact name or folder")
    p.add_argument("--data-dir", help="folder holding the dataset files")
    p.set_defaults(handler=_cmd_eval)

    p = sub.add_parser("cards", help="regenerate MODEL_CARDS.md and the README's model table")
    p.set_defaults(handler=_cmd_cards)

    p = sub.add_parser("demo", help="load pretrained models and show what they do",
                       description="Load the pretrained artifacts and show each at work.")
    p.add_argument("--out", default="demo-out", help="folder for the demo's pictures (default: demo-out)")
    p.set_defaults(handler=_cmd_demo)

    seen = set()
    # Each family module (and the hub module) may add its own verbs.
    module_names = [arch["build"].partition(":")[0] for arch in registry.architectures().values()]
    if importlib.util.find_spec("zoo.hub") is not None:
        module_names.append("zoo.hub")
    for module_name in module_names:
        if module_name in seen:
            continue
        seen.add(module_name)
        module = importlib.import_module(module_name)
        if hasattr(module, "add_commands"):
            module.add_commands(sub)
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
        print(f"zoo: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("zoo: interrupted (a `zoo train` run resumes where it stopped when started again)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
