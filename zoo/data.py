"""Datasets: each with a canonical source and a sha256, found offline when possible.

`data.path("tinyshakespeare")` looks, in order, at
  1. the path the caller gives (`path=`),
  2. a mirror folder: the `mirror=` argument or the ZOO_DATA_MIRROR environment variable
     (CI points it at ../shared/data),
  3. the copy that ships inside the package (zoo/reference_data/; tinyshakespeare is there, so
     `zoo eval` and `zoo finetune` of the Shakespeare artifacts need no network),
  4. the user cache (ZOO_CACHE_DIR, default ~/.cache/keras-zoo/data),
  5. the canonical URL, downloaded with a progress bar into the cache (for a dataset that is not
     packaged; ZOO_OFFLINE=1 forbids it),
and checks the sha256 of whatever it finds. Offline with nothing found, the error says where it
looked and how to provide the file.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from zoo import io
from zoo.errors import DataNotFoundError, IntegrityError


@dataclass(frozen=True)
class Dataset:
    name: str
    filename: str
    url: str
    sha256: str
    size: int
    description: str
    # The dataset's id on the Hugging Face Hub (owner/name), which a model card's `datasets:`
    # names; None for data the Hub does not hold.
    hub_id: str | None = None


DATASETS = {
    "tinyshakespeare": Dataset(
        name="tinyshakespeare",
        filename="tinyshakespeare.txt",
        url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        size=1_115_394,
        description="40,000 lines of Shakespeare (Karpathy's char-rnn); first 90% of characters "
                    "train, last 10% validate, as nanoGPT's shakespeare_char.",
        hub_id="karpathy/tiny_shakespeare",
    ),
}


# Data files that ship inside the package (a folder of data, not a module). A dataset whose file is
# not here is looked for in the cache and downloaded.
PACKAGED_DIR = Path(__file__).resolve().parent / "reference_data"


def cache_dir() -> Path:
    return Path(os.environ.get("ZOO_CACHE_DIR", Path.home() / ".cache" / "keras-zoo")) / "data"


def dataset(name: str) -> Dataset:
    if name not in DATASETS:
        from zoo.registry import unknown_name_error
        raise unknown_name_error(name, DATASETS, "dataset")
    return DATASETS[name]


def _checked(candidate: Path, ds: Dataset, fix: str | None = None) -> Path:
    actual = io.sha256_file(candidate)
    if actual != ds.sha256:
        fix = fix or f"Delete or replace it with the file from {ds.url}."
        raise IntegrityError(
            f"{candidate} is not the {ds.name} dataset: its sha256 is {actual[:12]}..., expected "
            f"{ds.sha256[:12]}.... {fix}")
    return candidate


def path(name: str, *, path: str | os.PathLike | None = None, mirror: str | os.PathLike | None = None,
         download: bool = True) -> Path:
    """The local path of a dataset file, verified by sha256 (see the module docstring)."""
    ds = dataset(name)
    if path is not None:
        given = Path(path).expanduser()
        if not given.is_file():
            raise DataNotFoundError(f"{given} does not exist; give the path of {ds.filename}.")
        return _checked(given, ds)
    looked = []
    mirror = mirror or os.environ.get("ZOO_DATA_MIRROR")
    folders = ([Path(mirror).expanduser()] if mirror else []) + [PACKAGED_DIR, cache_dir()]
    for folder in folders:
        candidate = folder / ds.filename
        looked.append(str(candidate))
        if candidate.is_file():
            # A wrong packaged copy means a damaged installation, which reinstalling repairs.
            damaged = "Reinstall keras-zoo (pip install --force-reinstall keras-zoo)."
            return _checked(candidate, ds, damaged if folder == PACKAGED_DIR else None)
    if download and os.environ.get("ZOO_OFFLINE", "") not in ("1", "true", "yes"):
        try:
            return _download(ds)
        except OSError as error:
            looked.append(f"{ds.url} ({error})")
    raise DataNotFoundError(
        f"dataset {ds.name!r} not found. Looked at: {'; '.join(looked)}. Download {ds.url} "
        f"(sha256 {ds.sha256}) and either put it in {cache_dir()}, set ZOO_DATA_MIRROR to the "
        "folder that holds it, or pass its path.")


def _download(ds: Dataset) -> Path:
    from tqdm import tqdm

    target = cache_dir() / ds.filename
    with io.atomic_path(target) as tmp:
        with urllib.request.urlopen(ds.url, timeout=30) as response, open(tmp, "wb") as f, \
                tqdm(total=ds.size, unit="B", unit_scale=True, desc=f"downloading {ds.filename}") as bar:
            while chunk := response.read(1 << 16):
                f.write(chunk)
                bar.update(len(chunk))
        _checked(tmp, ds)  # a bad download never reaches the cache under its real name
    return target


def read_text(name: str, **kwargs) -> str:
    return path(name, **kwargs).read_text(encoding="utf-8")


def split_text(text: str, train_fraction: float = 0.9) -> tuple[str, str]:
    """The first `train_fraction` of characters train, the rest validate (nanoGPT's split)."""
    cut = int(len(text) * train_fraction)
    return text[:cut], text[cut:]
