"""`zoo xor`, the verb the XorNet class declares (its `cli_verbs`)."""

from __future__ import annotations

from zoo import registry
from zoo.cli import load_as
from zoo.errors import InvalidInputError


def xor(args) -> None:
    art = load_as(args.model, registry.artifact_class("mlp-xor"), "an XOR network")
    if not args.bits:
        print(art.truth_table())
        return
    if len(args.bits) != 2:
        raise InvalidInputError(f"give exactly two inputs, e.g. `zoo xor 0 1`; got {len(args.bits)}.")
    value = art.predict([args.bits])[0]
    print(f"{value:.4f} -> {int(value > 0.5)}")
