"""``modgap-edu``: command-line tools of the course (lesson 05).

    modgap-edu measure FILE [--json] [--top N]
    modgap-edu measure FOLDER [--model NAME] [--pretrained TAG|PATH|none] [--captions PATH] [--save OUT.npz]

``FILE`` is a ``.npz`` (arrays ``image``, ``text``, optional ``text_to_image``), a ``.pt``
(a dict with the same keys) or a Liang-style ``.npy`` of shape ``(2, N, d)``. ``FOLDER`` holds
images plus a captions file and is embedded with an open_clip model (see
``modgap_edu.data.image_folder``). Prints L2M, L2I, RMG, alignment, uniformity and the top gap
dimensions, as a table or (``--json``) as one JSON object on stdout.

Exit codes: 0 success, 2 bad input (message on stderr), as for argparse usage errors; 1 when a model
fails at run time (one line on stderr).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modgap-edu", description="Tools of the modgap_edu course.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    m = sub.add_parser("measure", help="measure the modality gap of image/text embeddings",
                       description="Measure L2M, L2I, RMG, alignment, uniformity and the top gap dimensions "
                                   "of paired image and text embeddings.")
    m.add_argument("path", metavar="FILE", help=".npz / .pt / .npy embeddings, or a folder of images + captions file")
    m.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    m.add_argument("--top", type=int, default=10, help="number of top gap dimensions to list (default 10)")
    m.add_argument("--uniformity-sample", type=int, default=5000,
                   help="uniformity uses all pairs: above this many rows, a seeded random subset (default 5000)")
    m.add_argument("--seed", type=int, default=0, help="seed of that subset (default 0)")
    g = m.add_argument_group("embedding a folder (open_clip)")
    g.add_argument("--model", default="ViT-B-32", help="open_clip model name or local-dir:PATH (default ViT-B-32)")
    g.add_argument("--pretrained", default="openai",
                   help="pretrained tag, local checkpoint path, or 'none' for random init (default openai)")
    g.add_argument("--captions", default=None, help="captions file (default: FOLDER/captions.{tsv,txt,csv,json})")
    g.add_argument("--batch-size", type=int, default=32, help="images/captions per forward pass (default 32)")
    g.add_argument("--allow-download", action="store_true",
                   help="let open_clip download weights (default: offline, local cache only)")
    g.add_argument("--save", default=None, metavar="OUT.npz",
                   help="also save the embeddings (image, text, text_to_image) to this .npz")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _measure(args: argparse.Namespace) -> int:
    import numpy as np

    from modgap_edu.cli.measure import format_table, measure
    from modgap_edu.data.embedding_files import load_embeddings

    path = Path(args.path)
    if path.is_dir():
        from modgap_edu.models.openclip import embed_folder

        data = embed_folder(path, model=args.model, pretrained=args.pretrained, captions=args.captions,
                            batch_size=args.batch_size, progress=not args.quiet, allow_download=args.allow_download)
        if args.save:
            try:
                np.savez(args.save, **data)
            except OSError as exc:
                raise ValueError(f"could not write --save {args.save} ({exc.strerror or exc}): pick a writable "
                                 "path ending in .npz.") from None
            print(f"saved embeddings to {args.save}", file=sys.stderr)
    else:
        data = load_embeddings(path)
    result = measure(data["image"], data["text"], data["text_to_image"], top=args.top,
                     uniformity_sample=args.uniformity_sample, seed=args.seed)
    if args.json:
        print(json.dumps({"source": str(path), **result}))
    else:
        print(format_table(result, str(path)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``modgap-edu`` console script. Returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "measure":
            return _measure(args)
    except (ValueError, OSError) as exc:  # bad input, unreadable files: say what to fix
        print(f"modgap-edu {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as exc:  # e.g. a model that fails on these inputs: one line, not a traceback
        print(f"modgap-edu {args.command}: failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
              file=sys.stderr)
        return 1
    return EXIT_BAD_INPUT  # pragma: no cover  (argparse rejects unknown commands)


if __name__ == "__main__":
    sys.exit(main())
