"""open_clip models built offline, and batched embedding helpers (lessons 02+).

* ``build("ViT-S-32-alt", seed=3)``: a random-init built-in open_clip config (Liang et al. 2022,
  Fig. 2a/2c use random-init CLIP towers). Seeded: the same seed gives the same weights.
* ``build(TINY_CONFIG)`` or ``register_config("Tiny-CLIP", cfg)`` then ``build("Tiny-CLIP")``:
  small custom CLIPs from a dict (registered with ``open_clip.add_model_config``).
* ``build("ViT-B-32", pretrained="openai")``: pretrained weights by open_clip tag (needs the
  network; fails fast with ``HF_HUB_OFFLINE=1``), or ``build("local-dir:/path")`` for a folder
  holding ``open_clip_config.json`` and ``open_clip_model.safetensors`` (see ``save_local_dir``).
* ``encode_images`` / ``encode_texts``: ``no_grad``, batched, L2-normalized numpy float32 rows.
"""
from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np

from modgap_edu._runtime import torchvision_compat
from modgap_edu.core import validation as V
from modgap_edu.data.image_folder import pair_folder

torchvision_compat.install()

import torch  # noqa: E402

# A ~7 M-parameter CLIP (6.3 M of it the 49,408-token embedding) that encodes 64 + 64 in ~70 ms.
TINY_CONFIG: dict = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 64, "patch_size": 8, "width": 128, "layers": 2, "head_width": 64,
                   "mlp_ratio": 2.0},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 128, "heads": 2, "layers": 2},
}
_REGISTRY_DIR: Optional[Path] = None


@dataclass
class ModelBundle:
    """An open_clip model with its evaluation preprocessing and tokenizer."""

    model: Any
    preprocess: Any
    tokenizer: Any
    name: str
    seed: Optional[int] = None
    pretrained: Optional[str] = None

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def _open_clip():
    import open_clip

    return open_clip


def _is_model_config(cfg: Any) -> bool:
    return isinstance(cfg, dict) and all(k in cfg for k in ("embed_dim", "vision_cfg", "text_cfg"))


def register_config(name: str, cfg: dict) -> str:
    """Register a dict config with open_clip under ``name`` (written as ``<name>.json`` in a temp folder)."""
    global _REGISTRY_DIR
    if not isinstance(name, str) or not name or "/" in name or name.startswith(("local-dir:", "hf-hub:")):
        raise ValueError(f"name must be a plain non-empty string without '/', got {name!r}.")
    if not _is_model_config(cfg):
        raise ValueError("cfg must be a dict with the keys 'embed_dim', 'vision_cfg' and 'text_cfg' "
                         "(an open_clip model config; see models.TINY_CONFIG).")
    oc = _open_clip()
    if _REGISTRY_DIR is None:
        _REGISTRY_DIR = Path(tempfile.mkdtemp(prefix="modgap_open_clip_cfg_"))
        oc.add_model_config(_REGISTRY_DIR)
    (_REGISTRY_DIR / f"{name}.json").write_text(json.dumps(cfg))
    oc.add_model_config(_REGISTRY_DIR)  # rescans the folder
    return name


def _config_name(cfg: dict) -> str:
    import hashlib

    digest = hashlib.sha1(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:10]
    return f"custom-{digest}"


def build(model: Union[str, dict] = "ViT-S-32-alt", pretrained: Optional[str] = None, seed: Optional[int] = 0,
          device: str = "cpu") -> ModelBundle:
    """Build an open_clip model in eval mode (lesson 02: random-init towers; later lessons: pretrained).

    ``model``: a built-in name (``open_clip.list_models()``), a registered custom name, a dict
    config (registered automatically), or ``"local-dir:<folder>"``. ``pretrained``: ``None``
    (random init, seeded by ``seed`` without touching the global torch RNG), an open_clip tag such
    as ``"openai"`` (downloads; fails at once when ``HF_HUB_OFFLINE=1``) or a checkpoint file.
    """
    oc = _open_clip()
    if isinstance(model, dict):
        name = register_config(_config_name(model), model)
    elif isinstance(model, str) and model:
        name = model
    else:
        raise ValueError(f"model must be an open_clip model name, 'local-dir:<folder>' or a config dict, "
                         f"got {model!r}.")
    if seed is not None:
        V.seed(seed, "seed (or None)")
    if name.startswith("local-dir:"):
        folder = Path(name[len("local-dir:"):]).expanduser()
        if not (folder / "open_clip_config.json").is_file():
            raise ValueError(f"{folder} has no open_clip_config.json: save a model there with "
                             "models.save_local_dir(bundle, folder) first.")
    elif name not in oc.list_models():
        raise ValueError(f"unknown open_clip model {name!r}: use one of open_clip.list_models() (e.g. "
                         "'ViT-S-32-alt', 'ViT-B-32'), register a dict with models.register_config, or pass "
                         "'local-dir:<folder>'.")
    if pretrained is not None and not name.startswith("local-dir:") and not os.path.isfile(str(pretrained)):
        tags = oc.list_pretrained_tags_by_model(name)
        if pretrained not in tags:
            raise ValueError(f"{pretrained!r} is neither a checkpoint file nor a pretrained tag of {name}; "
                             f"known tags: {', '.join(tags) or 'none (this config has no released weights)'}.")
    import logging

    root = logging.getLogger()
    level = root.level
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(int(seed))
        try:
            if pretrained is None:  # silence open_clip's "Model initialized randomly" warning: that is the point
                root.setLevel(logging.ERROR)
            net, _, preprocess = oc.create_model_and_transforms(name, pretrained=pretrained, device=device)
        except RuntimeError as exc:
            if pretrained and "download" in str(exc).lower():
                raise RuntimeError(
                    f"Could not get pretrained weights {pretrained!r} for {name}: {exc}\nOffline? Pretrained "
                    "weights need the network (unset HF_HUB_OFFLINE) or a local folder: "
                    "build('local-dir:<folder>')."
                ) from None
            raise
        finally:
            root.setLevel(level)
    net.eval()
    return ModelBundle(net, preprocess, oc.get_tokenizer(name), name, seed if not pretrained else None,
                       pretrained)


def save_local_dir(bundle: ModelBundle, folder: Union[str, os.PathLike],
                   model_cfg: Optional[dict] = None) -> Path:
    """Write ``open_clip_config.json`` + ``open_clip_model.safetensors`` so ``build('local-dir:<folder>')``
    reloads the same weights offline. ``model_cfg`` defaults to the registered config of ``bundle.name``."""
    from safetensors.torch import save_file

    oc = _open_clip()
    cfg = model_cfg if model_cfg is not None else oc.get_model_config(bundle.name)
    if cfg is None:
        raise ValueError(f"no config known for {bundle.name!r}: pass model_cfg=.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pp = getattr(bundle.model.visual, "preprocess_cfg", None) or {}
    (folder / "open_clip_config.json").write_text(json.dumps(
        {"model_cfg": copy.deepcopy(cfg), "preprocess_cfg": {k: v for k, v in pp.items() if k in ("mean", "std")}}))
    state = {k: v.detach().contiguous().clone() for k, v in bundle.model.state_dict().items()}
    save_file(state, str(folder / "open_clip_model.safetensors"))
    return folder


# ------------------------------------------------------------------ embedding helpers
def _batches(n: int, batch_size: int):
    for start in range(0, n, V.integer(batch_size, "batch_size", 1)):
        yield slice(start, min(n, start + int(batch_size)))


def _finish(chunks: list, normalize: bool) -> np.ndarray:
    out = torch.cat(chunks).float()
    if normalize:
        out = torch.nn.functional.normalize(out, dim=1)  # x / max(||x||, 1e-12)
    return out.numpy()


def encode_images(bundle: ModelBundle, images: Union[Sequence[Any], torch.Tensor], batch_size: int = 32,
                  normalize: bool = True) -> np.ndarray:
    """Image embeddings (N, embed_dim) as float32 numpy, rows L2-normalized (lesson 02, Fig. 2a).

    ``images``: PIL images (preprocessed with the model's eval transform) or an already
    preprocessed tensor (N, 3, H, W), e.g. noise ``torch.randn``.
    """
    if isinstance(images, torch.Tensor):
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"an image tensor must have shape (N, 3, H, W), got {tuple(images.shape)}.")
        n = images.shape[0]
        get = lambda s: images[s].float()  # noqa: E731
    else:
        images = list(images)
        n = len(images)
        get = lambda s: torch.stack([bundle.preprocess(im) for im in images[s]])  # noqa: E731
    if n == 0:
        raise ValueError("images is empty: pass at least one image.")
    chunks = []
    with torch.no_grad():
        for s in _batches(n, batch_size):
            chunks.append(bundle.model.encode_image(get(s)))
    return _finish(chunks, normalize)


def encode_texts(bundle: ModelBundle, texts: Union[Sequence[str], torch.Tensor], batch_size: int = 64,
                 normalize: bool = True) -> np.ndarray:
    """Text embeddings (N, embed_dim) as float32 numpy, rows L2-normalized (lesson 02, Fig. 2a).

    ``texts``: strings (tokenized with the model's tokenizer) or token ids (N, context_length).
    """
    if isinstance(texts, torch.Tensor):
        if texts.ndim != 2:
            raise ValueError(f"a token tensor must have shape (N, context_length), got {tuple(texts.shape)}.")
        tokens = texts.long()
    else:
        if isinstance(texts, str):
            raise ValueError("texts must be a list of strings, not a single string: wrap it as [text].")
        texts = list(texts)
        if not texts:
            raise ValueError("texts is empty: pass at least one caption.")
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("texts must all be strings.")
        tokens = bundle.tokenizer(texts)
    if tokens.shape[0] == 0:
        raise ValueError("texts is empty: pass at least one caption.")
    chunks = []
    with torch.no_grad():
        for s in _batches(tokens.shape[0], batch_size):
            chunks.append(bundle.model.encode_text(tokens[s]))
    return _finish(chunks, normalize)


def noise_inputs(bundle: ModelBundle, n: int, seed: int = 42) -> tuple[torch.Tensor, torch.Tensor]:
    """Liang Fig. 2a "random noise" inputs: ``randn(n, 3, H, W)`` images and uniform random token ids.

    Token ids are drawn from [0, vocab_size) over the full context, as in the official code (so
    CLIP's argmax-token pooling lands on a random position).
    """
    V.integer(n, "n", 1)
    g = torch.Generator().manual_seed(int(seed))
    size = bundle.model.visual.image_size
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    images = torch.randn(int(n), 3, h, w, generator=g)
    ctx = int(bundle.model.context_length)
    vocab = int(bundle.model.vocab_size)
    tokens = torch.randint(0, vocab, (int(n), ctx), generator=g)
    return images, tokens


def load_model(model: str, pretrained: str | None, allow_download: bool = False):
    """(model, preprocess, tokenizer) from open_clip, offline unless ``allow_download``."""
    if not allow_download:
        os.environ["HF_HUB_OFFLINE"] = "1"
    import modgap_edu  # noqa: F401  (installs the torchvision shim open_clip needs)
    import open_clip

    tag = None if pretrained is None or str(pretrained).lower() in ("", "none", "random") else pretrained
    try:
        net, _, preprocess = open_clip.create_model_and_transforms(model, pretrained=tag)
        tokenizer = open_clip.get_tokenizer(model)
    except Exception as exc:
        hint = ("" if allow_download else " Weights are looked up offline: put them in the Hugging Face cache, "
                "pass a local checkpoint file with --pretrained PATH, or add --allow-download.")
        raise ValueError(f"could not load open_clip model {model!r} with pretrained={tag!r} "
                         f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}).{hint}") from None
    net.eval()
    return net, preprocess, tokenizer


def embed_folder(folder: str | Path, model: str = "ViT-B-32", pretrained: str | None = "openai",
                 captions: str | Path | None = None, batch_size: int = 32, progress: bool = True,
                 allow_download: bool = False) -> dict:
    """Embed a folder with an open_clip model: ``{"image", "text", "text_to_image"}`` (float32, raw features)."""
    import torch
    from PIL import Image
    from tqdm.auto import tqdm

    V.integer(batch_size, "batch_size", 1)
    images, texts, t2i = pair_folder(folder, captions)
    net, preprocess, tokenizer = load_model(model, pretrained, allow_download)
    if tag_is_random(pretrained):
        print(f"warning: {model} is randomly initialised (--pretrained none): the numbers describe an untrained "
              "model.", file=sys.stderr)
    img_out, txt_out = [], []
    bar = tqdm(total=len(images) + len(texts), desc="embedding", unit="item", disable=not progress, file=sys.stderr)
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = []
            for p in images[start : start + batch_size]:
                try:
                    with Image.open(p) as im:
                        batch.append(preprocess(im.convert("RGB")))
                except Exception as exc:
                    raise ValueError(f"could not read image {p} ({type(exc).__name__}: {exc}).") from None
            img_out.append(net.encode_image(torch.stack(batch)).float().numpy())
            bar.update(len(batch))
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            txt_out.append(net.encode_text(tokenizer(chunk)).float().numpy())
            bar.update(len(chunk))
    bar.close()
    return {"image": np.concatenate(img_out), "text": np.concatenate(txt_out), "text_to_image": t2i}


def tag_is_random(pretrained: str | None) -> bool:
    return pretrained is None or str(pretrained).lower() in ("", "none", "random")
