"""``modgap-edu``: command-line tools of the course (lesson 05).

    modgap-edu measure FILE [--json] [--top N]
    modgap-edu measure FOLDER [--model NAME] [--pretrained TAG|PATH|none] [--seed S] [--captions PATH]
                              [--save OUT.npz] [--allow-download]

``FILE`` is a ``.npz``, a ``.pt`` (a dict of tensors/arrays) or a Liang-style ``.npy`` of shape ``(2, N, d)``
(``modgap_edu.data.embedding_files``). Two modes, chosen by the keys in the file:

* paired (captions, COCO-style): ``image`` (N, d), ``text`` (M, d), optional ``text_to_image`` (M,);
* classification (ImageNet-style): ``image`` (N, d), ``labels`` (N,), ``class_text`` (C, d), one prompt
  embedding per class; the metrics pair each image with its class prompt and use the C unique prompts
  on the text side, as Schrodi et al.'s official code does.

``FOLDER`` holds images plus a captions file and is embedded with an open_clip model
(``modgap_edu.models.openclip.embed_folder``); offline unless ``--allow-download``; a random init
(``--pretrained none``) is seeded by ``--seed``.

Exit codes: 0 success; 2 bad input (one line on stderr, as for argparse usage errors); 1 when a model
or the run fails (one line on stderr). Options that do not apply (e.g. ``--save`` with a FILE) are
named in a warning on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
PROBE_HOST = "huggingface.co:443"  # = models.openclip.PROBE_HOST (not imported: that would load torch first)
FOLDER_OPTIONS = ("model", "pretrained", "captions", "batch_size", "allow_download", "save", "quiet")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modgap-edu", description="Tools of the modgap_edu course.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    m = sub.add_parser(
        "measure",
        help="measure the modality gap of image/text embeddings",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Measure L2M, L2I, RMG, alignment, uniformity and the top gap dimensions of image and text "
        "embeddings.",
        epilog="modes (chosen by the arrays in FILE):\n"
        "  paired          image (N,d), text (M,d), optional text_to_image (M,): the image row of each\n"
        "                  caption (several captions may share an image, as in COCO)\n"
        "  classification  image (N,d), labels (N,), class_text (C,d): one prompt embedding per class;\n"
        "                  each image is paired with its class prompt and the text side uses the C\n"
        "                  unique prompts, as the official code does for ImageNet\n"
        "FOLDER: images + captions.tsv (image_file<TAB>caption per line) or .txt/.csv/.json.\n"
        "exit codes: 0 ok, 2 bad input, 1 model/runtime failure.",
    )
    m.add_argument("path", metavar="FILE", help=".npz / .pt / .npy embeddings, or a folder of images + captions file")
    m.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    m.add_argument("--top", type=int, default=10, help="number of top gap dimensions to list (default 10)")
    m.add_argument(
        "--uniformity-sample",
        type=int,
        default=5000,
        help="uniformity uses all pairs: above this many rows, a seeded random subset (default 5000)",
    )
    m.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of that subset and of a random-init model (--pretrained none) (default 0)",
    )
    g = m.add_argument_group("embedding a folder (open_clip)")
    g.add_argument("--model", default=None, help="open_clip model name or local-dir:PATH (default ViT-B-32)")
    g.add_argument(
        "--pretrained",
        default=None,
        help="pretrained tag, local checkpoint path, or 'none' for random init (default openai; "
        "not used with local-dir:)",
    )
    g.add_argument("--captions", default=None, help="captions file (default: FOLDER/captions.{tsv,txt,csv,json})")
    g.add_argument("--batch-size", type=int, default=None, help="images/captions per forward pass (default 32)")
    g.add_argument(
        "--allow-download",
        action="store_true",
        default=None,
        help="download weights that are not cached (one ~1 s network probe first); default: offline, local cache only",
    )
    g.add_argument(
        "--save",
        default=None,
        metavar="OUT.npz",
        help="also save the embeddings (image, text, text_to_image) to exactly this .npz file",
    )
    g.add_argument("--quiet", action="store_true", default=None, help="no progress bar")
    return parser


def _save_target(save: str) -> Path:
    """The exact file ``--save`` will write, checked before any embedding work."""
    target = Path(save)
    if target.suffix.lower() != ".npz":
        raise ValueError(f"--save {save}: the file name must end in .npz (numpy would otherwise write {save}.npz).")
    if target.is_dir():
        raise ValueError(f"--save {save} is an existing folder: give a file path such as {target / 'embeddings.npz'}.")
    if target.exists() and not target.is_file():
        raise ValueError(f"--save {save} exists and is not a regular file.")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(
            f"could not write --save {save}: folder {parent} does not exist; pick a writable path ending in .npz."
        )
    if not os.access(parent, os.W_OK):
        raise ValueError(f"could not write --save {save}: folder {parent} is not writable.")
    return target


def _write_npz(target: Path, data: dict) -> None:
    """``np.savez`` to ``target`` exactly (via a temp file in the same folder, then an atomic rename)."""
    import numpy as np

    existed = target.exists()
    fd, tmp = tempfile.mkstemp(prefix=".modgap-save-", suffix=".npz", dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **{k: v for k, v in data.items() if v is not None})
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ValueError(f"could not write --save {target} ({exc.strerror or exc}).") from None
    print(f"saved embeddings to {target}{' (replaced the existing file)' if existed else ''}", file=sys.stderr)


def _embed(args: argparse.Namespace, path: Path) -> dict:
    from modgap_edu.data import cache

    target = _save_target(args.save) if args.save else None
    if args.allow_download and cache.offline_requested():
        raise ValueError(
            "--allow-download conflicts with MODGAP_OFFLINE / HF_HUB_OFFLINE set in the environment: "
            "unset them to download, or drop --allow-download."
        )
    model = args.model or "ViT-B-32"
    pretrained = args.pretrained
    if pretrained is None:
        pretrained = None if model.startswith("local-dir:") else "openai"
    if args.allow_download and _may_download(model, pretrained):
        _probe_network(cache)
    from modgap_edu.models.openclip import embed_folder

    data = embed_folder(
        path,
        model=model,
        pretrained=pretrained,
        captions=args.captions,
        batch_size=32 if args.batch_size is None else args.batch_size,
        progress=not args.quiet,
        allow_download=bool(args.allow_download),
        seed=args.seed,
    )
    if target is not None:
        _write_npz(target, data)
    return {"mode": "paired", **data}


def _may_download(model: str, pretrained: str | None) -> bool:
    """Could this model need a download? (Not for random init, local folders or checkpoint files.)"""
    random = pretrained is None or pretrained.strip().lower() in ("", "none", "random")
    return not (random or model.startswith("local-dir:") or os.path.lexists(pretrained))


def _probe_network(cache) -> None:
    """``--allow-download``: one bounded probe before torch/open_clip are even imported (~1 s without network)."""
    if not cache.network_available(PROBE_HOST, timeout=1.0):
        raise cache.DataUnavailable(
            f"--allow-download: {PROBE_HOST} does not answer within 1 s (offline?). Drop "
            "--allow-download to use weights from the local cache only, or pass a checkpoint "
            "file / --model local-dir:DIR."
        )


def _warn_ignored(args: argparse.Namespace) -> None:
    given = [f"--{name.replace('_', '-')}" for name in FOLDER_OPTIONS if getattr(args, name) is not None]
    if given:
        print(
            f"warning: {', '.join(given)} only apply to a FOLDER of images and are ignored for a file.", file=sys.stderr
        )


def _measure(args: argparse.Namespace) -> int:
    from modgap_edu.cli.measure import format_table, measure, measure_classification
    from modgap_edu.data.embedding_files import load_embeddings

    path = Path(args.path)
    options = {"top": args.top, "uniformity_sample": args.uniformity_sample, "seed": args.seed}
    if path.is_dir() and path.suffix.lower() not in (".npz", ".pt", ".npy"):
        data = _embed(args, path)
    else:
        _warn_ignored(args)
        data = load_embeddings(path)
    if data["mode"] == "classification":
        result = measure_classification(data["image"], data["class_text"], data["labels"], **options)
    else:
        result = measure(data["image"], data["text"], data["text_to_image"], **options)
    if args.json:
        print(json.dumps({"source": str(path), **result}))
    else:
        print(format_table(result, str(path)))
    return EXIT_OK


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``modgap-edu`` console script. Returns the exit code (0, 1 or 2)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "measure":
            return _measure(args)
    except (ValueError, TypeError, OSError) as exc:  # bad input, unreadable files: say what to fix
        print(f"modgap-edu {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a model that fails, weights that cannot be had: one line, not a traceback
        print(f"modgap-edu {args.command}: failed: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_BAD_INPUT  # pragma: no cover  (argparse rejects unknown commands)


if __name__ == "__main__":
    sys.exit(main())
