"""open_clip models built offline, and one batched encoder (lessons 02+, ``modgap-edu measure FOLDER``).

* ``build("ViT-S-32-alt", seed=3)``: a random-init built-in open_clip config (Liang et al. 2022,
  Fig. 2a/2c use random-init CLIP towers). Seeded: the same seed gives the same weights.
* ``build(TINY_CONFIG)`` or ``register_config("Tiny-CLIP", cfg)`` then ``build("Tiny-CLIP")``:
  small custom CLIPs from a dict (registered with ``open_clip.add_model_config``).
* ``build("ViT-B-32", pretrained="openai")``: pretrained weights by open_clip tag, ``pretrained=
  "/path/ckpt.pt"`` for a checkpoint file, or ``build("local-dir:/path")`` for a folder holding
  ``open_clip_config.json`` and ``open_clip_model.safetensors`` (see ``save_local_dir``).
  Offline (the default unless ``allow_download=True``; ``MODGAP_OFFLINE``/``HF_HUB_OFFLINE`` are read
  at call time) a tag is looked up in the local Hugging Face / open_clip cache and loaded from
  that file: no hub call is made at all, whatever ``huggingface_hub`` read from the environment
  when it was imported.
* ``encode_images`` / ``encode_texts``: ``no_grad``, batched, numpy float32 rows (L2-normalized by
  default); ``embed_folder`` uses them for a folder of images with captions.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np

from modgap_edu._runtime import torchvision_compat
from modgap_edu.core import validation as V
from modgap_edu.data import cache
from modgap_edu.data.embedding_files import regular_file
from modgap_edu.data.image_folder import pair_folder

torchvision_compat.install()

import torch  # noqa: E402

# A ~7 M-parameter CLIP (6.3 M of it the 49,408-token embedding) that encodes 64 + 64 in ~70 ms.
TINY_CONFIG: dict = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 64, "patch_size": 8, "width": 128, "layers": 2, "head_width": 64, "mlp_ratio": 2.0},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 128, "heads": 2, "layers": 2},
}
_REGISTRY_DIR: Optional[Path] = None
RANDOM_INIT = ("", "none", "random")  # --pretrained values that mean "no weights"
PROBE_HOST = "huggingface.co:443"  # where open_clip downloads weights from


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
        raise ValueError(
            "cfg must be a dict with the keys 'embed_dim', 'vision_cfg' and 'text_cfg' "
            "(an open_clip model config; see models.TINY_CONFIG)."
        )
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


def is_random_init(pretrained: Optional[str]) -> bool:
    """True for ``None``, ``""``, ``"none"`` and ``"random"``: no pretrained weights (random init)."""
    return pretrained is None or (isinstance(pretrained, str) and pretrained.strip().lower() in RANDOM_INIT)


def _model_name(model: Union[str, dict]) -> str:
    """The open_clip name of ``model`` (dicts are registered), checked against the known configs."""
    if isinstance(model, dict):
        return register_config(_config_name(model), model)
    if not isinstance(model, str) or not model:
        raise ValueError(
            f"model must be an open_clip model name, 'local-dir:<folder>' or a config dict, got {model!r}."
        )
    if model.startswith("local-dir:"):
        folder = Path(model[len("local-dir:") :]).expanduser()
        if not (folder / "open_clip_config.json").is_file():
            raise ValueError(
                f"{folder} has no open_clip_config.json: save a model there with "
                "models.save_local_dir(bundle, folder) first."
            )
    elif model not in _open_clip().list_models():
        raise ValueError(
            f"unknown open_clip model {model!r}: use one of open_clip.list_models() (e.g. "
            "'ViT-S-32-alt', 'ViT-B-32'), register a dict with models.register_config, or pass "
            "'local-dir:<folder>'."
        )
    return model


def _looks_like_path(value: str) -> bool:
    return (
        os.sep in value
        or value.startswith(".")
        or value.lower().endswith((".pt", ".pth", ".bin", ".safetensors", ".ckpt"))
    )


def _cached_tag_file(name: str, tag: str, cache_dir: Optional[str]) -> Optional[str]:
    """The local file holding open_clip's weights ``tag`` of ``name``, or None; never touches the network.

    Looks where ``open_clip.pretrained.download_pretrained`` would have stored them: the Hugging Face
    cache (the ``.safetensors`` alternative first, as open_clip does) and, for URL-only tags,
    open_clip's ``~/.cache/clip`` (with its SHA-256 check).
    """
    oc = _open_clip()
    cfg = oc.get_pretrained_cfg(name, tag)
    if cfg.get("file"):
        return cfg["file"] if os.path.isfile(cfg["file"]) else None
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache
        from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME

        repo, filename = os.path.split(hub)
        filename = filename or HF_WEIGHTS_NAME
        names = (
            [HF_SAFE_WEIGHTS_NAME]
            if filename == HF_WEIGHTS_NAME
            else ([filename.rsplit(".", 1)[0] + ".safetensors"] if filename.endswith((".bin", ".pth")) else [])
        )
        for candidate in names + [filename]:
            found = try_to_load_from_cache(repo, candidate, cache_dir=cache_dir)
            if isinstance(found, str) and os.path.isfile(found):
                return found
    url = cfg.get("url", "")
    if url:
        target = os.path.join(cache_dir or os.path.expanduser("~/.cache/clip"), os.path.basename(url))
        if os.path.isfile(target) and _sha_ok(target, url):
            return target
    return None


def _sha_ok(target: str, url: str) -> bool:
    """open_clip's checksum rule for URL downloads (the expected SHA-256 prefix is part of the URL)."""
    import hashlib

    if "openaipublic" in url:
        expected = url.split("/")[-2]
    elif "mlfoundations" in url:
        expected = os.path.splitext(os.path.basename(url))[0].split("-")[-1]
    else:
        return True
    digest = hashlib.sha256()
    with open(target, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest().startswith(expected)


def _resolve_weights(
    name: str, pretrained: Optional[str], allow_download: bool, cache_dir: Optional[str]
) -> tuple[Optional[str], dict]:
    """``(what to pass open_clip as pretrained, preprocess overrides)`` for ``pretrained``.

    Random init -> ``(None, {})``; a checkpoint file -> the file; a tag -> its cached file plus the
    tag's preprocessing (mean, std, ...) when it is cached, else the tag itself when downloads are
    allowed and the network answers one bounded probe, else ``cache.DataUnavailable``.
    """
    if is_random_init(pretrained):
        return None, {}
    if not isinstance(pretrained, str):
        raise ValueError(f"pretrained must be a tag, a checkpoint path or None, got {pretrained!r}.")
    if name.startswith("local-dir:"):
        raise ValueError(f"{name} carries its own weights: leave pretrained unset (got {pretrained!r}).")
    oc = _open_clip()
    tags = oc.list_pretrained_tags_by_model(name)
    if pretrained not in tags:
        if os.path.lexists(pretrained) or _looks_like_path(pretrained):
            return str(regular_file(pretrained, "checkpoint file")), {}
        raise ValueError(
            f"{pretrained!r} is neither a checkpoint file nor a pretrained tag of {name}; "
            f"known tags: {', '.join(tags) or 'none (this config has no released weights)'}."
        )
    local = _cached_tag_file(name, pretrained, cache_dir)
    if local is not None:
        cfg = oc.get_pretrained_cfg(name, pretrained)
        keys = {
            "mean": "image_mean",
            "std": "image_std",
            "interpolation": "image_interpolation",
            "resize_mode": "image_resize_mode",
        }
        return local, {arg: cfg[k] for k, arg in keys.items() if k in cfg}
    where = "the local Hugging Face cache"
    if not allow_download:
        raise cache.DataUnavailable(
            f"weights {pretrained!r} of {name} are not in {where} and downloads are off. Pass a checkpoint file "
            "(pretrained='/path/ckpt.pt'), a 'local-dir:<folder>' model, 'none' for random init, or allow the "
            "download (--allow-download / allow_download=True)."
        )
    if not cache.network_available(PROBE_HOST, timeout=1.0):
        raise cache.DataUnavailable(
            f"weights {pretrained!r} of {name} are not in {where} and {PROBE_HOST} does not answer (offline?). "
            "Download them on a machine with network, or pass a checkpoint file / 'local-dir:<folder>'."
        )
    return pretrained, {}


def build(
    model: Union[str, dict] = "ViT-S-32-alt",
    pretrained: Optional[str] = None,
    seed: Optional[int] = 0,
    device: str = "cpu",
    allow_download: Optional[bool] = None,
    cache_dir: Optional[str] = None,
) -> ModelBundle:
    """Build an open_clip model in eval mode: THE loader of the package (lesson 02: random-init towers;
    lesson 05 and ``modgap-edu measure FOLDER``: pretrained or random models).

    Parameters
    ----------
    model : str or dict
        A built-in name (``open_clip.list_models()``), a registered custom name, a dict config
        (registered automatically), or ``"local-dir:<folder>"``.
    pretrained : str, optional
        ``None`` / ``"none"`` / ``"random"``: random init, seeded by ``seed``. An open_clip tag such as
        ``"openai"``, or the path of a checkpoint file.
    seed : int or None
        Seed of the random init (the global torch RNG is left untouched); ``None``: unseeded.
    device : str
        Torch device.
    allow_download : bool, optional
        May a missing tag be downloaded? Default: only when ``cache.offline_requested()`` is False
        (``MODGAP_OFFLINE`` / ``HF_HUB_OFFLINE`` unset), read at call time. Offline, cached tags are
        loaded from their local file, so no hub call is made.
    cache_dir : str, optional
        The Hugging Face cache to look in (default: huggingface_hub's).

    Returns
    -------
    ModelBundle

    Raises
    ------
    ValueError
        Unknown model or tag, bad seed, a checkpoint path that is not a regular file.
    cache.DataUnavailable
        (a RuntimeError) the weights are not cached and cannot be downloaded.
    """
    name = _model_name(model)
    if seed is not None:
        V.seed(seed, "seed (or None)")
    if allow_download is None:
        allow_download = not cache.offline_requested()
    weights, preprocess_args = _resolve_weights(name, pretrained, bool(allow_download), cache_dir)
    net, preprocess = _create(name, weights, seed, device, cache_dir, preprocess_args)
    random = weights is None and not name.startswith("local-dir:")
    return ModelBundle(
        net,
        preprocess,
        _open_clip().get_tokenizer(name),
        name,
        seed if random else None,
        None if is_random_init(pretrained) else pretrained,
    )


def _create(
    name: str, weights: Optional[str], seed: Optional[int], device: str, cache_dir: Optional[str], preprocess_args: dict
):
    """``open_clip.create_model_and_transforms`` under a forked, seeded torch RNG; returns (model, preprocess)."""
    import logging

    oc = _open_clip()
    root = logging.getLogger()
    level = root.level
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(int(seed))
        try:
            if weights is None:  # silence open_clip's "Model initialized randomly" warning: that is the point
                root.setLevel(logging.ERROR)
            net, _, preprocess = oc.create_model_and_transforms(
                name, pretrained=weights, device=device, cache_dir=cache_dir, **preprocess_args
            )
        except pickle.UnpicklingError as exc:  # torch.load(weights_only=True) refused the checkpoint's objects
            raise ValueError(
                f"checkpoint {weights} was refused: it holds objects other than tensors, which are never "
                f"loaded (they could run code): {_first_line(exc)}"
            ) from None
        except RuntimeError as exc:
            if weights and "download" in str(exc).lower():
                raise cache.DataUnavailable(
                    f"could not get pretrained weights {weights!r} for {name}: {_first_line(exc)} Pass a checkpoint "
                    "file or a local folder: build('local-dir:<folder>')."
                ) from None
            raise
        finally:
            root.setLevel(level)
    net.eval()
    return net, preprocess


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def save_local_dir(bundle: ModelBundle, folder: Union[str, os.PathLike], model_cfg: Optional[dict] = None) -> Path:
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
    (folder / "open_clip_config.json").write_text(
        json.dumps(
            {"model_cfg": copy.deepcopy(cfg), "preprocess_cfg": {k: v for k, v in pp.items() if k in ("mean", "std")}}
        )
    )
    state = {k: v.detach().contiguous().clone() for k, v in bundle.model.state_dict().items()}
    save_file(state, str(folder / "open_clip_model.safetensors"))
    return folder


# ------------------------------------------------------------------ embedding helpers
def _batches(n: int, batch_size: int):
    for start in range(0, n, V.integer(batch_size, "batch_size", 1)):
        yield slice(start, min(n, start + int(batch_size)))


def _encode(n: int, make_batch, forward, batch_size: int, normalize: bool, on_batch=None) -> np.ndarray:
    """THE batched encoder: ``forward(make_batch(slice))`` per batch under ``no_grad``, concatenated as
    float32 numpy rows (L2-normalized when ``normalize``); ``on_batch(k)`` after each batch of k rows."""
    chunks = []
    with torch.no_grad():
        for s in _batches(n, batch_size):
            chunks.append(forward(make_batch(s)).float())
            if on_batch is not None:
                on_batch(s.stop - s.start)
    out = torch.cat(chunks)
    if normalize:
        out = torch.nn.functional.normalize(out, dim=1)  # x / max(||x||, 1e-12)
    return out.numpy()


def _open_image(item: Any):
    """A PIL RGB image from a PIL image or a path; unreadable files give a ValueError naming them."""
    if not isinstance(item, (str, os.PathLike)):
        return item
    from PIL import Image

    try:
        with Image.open(regular_file(item, "image")) as im:
            return im.convert("RGB")
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(f"could not read image {item} ({type(exc).__name__}: {_first_line(exc)}).") from None


def encode_images(
    bundle: ModelBundle,
    images: Union[Sequence[Any], torch.Tensor],
    batch_size: int = 32,
    normalize: bool = True,
    on_batch=None,
) -> np.ndarray:
    """Image embeddings (N, embed_dim) as float32 numpy, rows L2-normalized (lesson 02, Fig. 2a; lesson 05).

    Parameters
    ----------
    bundle : ModelBundle
        From ``build``.
    images : sequence or torch.Tensor
        PIL images or image file paths (opened one batch at a time, preprocessed with the model's eval
        transform), or an already preprocessed tensor (N, 3, H, W), e.g. noise ``torch.randn``.
    batch_size : int
        Images per forward pass.
    normalize : bool
        L2-normalize the rows (``False``: the raw features).
    on_batch : callable, optional
        Called with the number of rows after each batch (e.g. a progress bar's ``update``).

    Returns
    -------
    numpy.ndarray
    """
    if isinstance(images, torch.Tensor):
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"an image tensor must have shape (N, 3, H, W), got {tuple(images.shape)}.")
        make = lambda s: images[s].float()  # noqa: E731
    else:
        images = list(images)
        make = lambda s: torch.stack([bundle.preprocess(_open_image(im)) for im in images[s]])  # noqa: E731
    if len(images) == 0:
        raise ValueError("images is empty: pass at least one image.")
    return _encode(len(images), make, bundle.model.encode_image, batch_size, normalize, on_batch)


def encode_texts(
    bundle: ModelBundle,
    texts: Union[Sequence[str], torch.Tensor],
    batch_size: int = 64,
    normalize: bool = True,
    on_batch=None,
) -> np.ndarray:
    """Text embeddings (N, embed_dim) as float32 numpy, rows L2-normalized (lesson 02, Fig. 2a; lesson 05).

    Parameters
    ----------
    bundle : ModelBundle
        From ``build``.
    texts : sequence of str or torch.Tensor
        Strings (tokenized with the model's tokenizer, one batch at a time) or token ids (N, context_length).
    batch_size, normalize, on_batch
        As for ``encode_images``.

    Returns
    -------
    numpy.ndarray
    """
    if isinstance(texts, torch.Tensor):
        if texts.ndim != 2:
            raise ValueError(f"a token tensor must have shape (N, context_length), got {tuple(texts.shape)}.")
        tokens = texts.long()
        make = lambda s: tokens[s]  # noqa: E731
        n = tokens.shape[0]
    else:
        if isinstance(texts, str):
            raise ValueError("texts must be a list of strings, not a single string: wrap it as [text].")
        texts = list(texts)
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("texts must all be strings.")
        make = lambda s: bundle.tokenizer(texts[s])  # noqa: E731
        n = len(texts)
    if n == 0:
        raise ValueError("texts is empty: pass at least one caption.")
    return _encode(n, make, bundle.model.encode_text, batch_size, normalize, on_batch)


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


def embed_folder(
    folder: str | Path,
    model: str = "ViT-B-32",
    pretrained: str | None = "openai",
    captions: str | Path | None = None,
    batch_size: int = 32,
    progress: bool = True,
    allow_download: bool = False,
    seed: int = 0,
) -> dict:
    """Embed a folder of images + captions (``modgap-edu measure FOLDER``, lesson 05) with ``build`` and the
    batched encoders.

    Parameters
    ----------
    folder : str or Path
        Images plus a captions file (see ``modgap_edu.data.image_folder``).
    model, pretrained, allow_download, seed
        Passed to ``build`` (``pretrained="none"``: random init seeded by ``seed``).
    captions : str or Path, optional
        The captions file (default: found in ``folder``).
    batch_size : int
        Images / captions per forward pass.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    dict
        ``{"image", "text", "text_to_image"}``: raw (unnormalized) float32 features and the int64 map.
    """
    from tqdm.auto import tqdm

    V.integer(batch_size, "batch_size", 1)
    images, texts, t2i = pair_folder(folder, captions)
    bundle = build(model, pretrained=pretrained, seed=seed, allow_download=allow_download)
    if is_random_init(pretrained) and not bundle.name.startswith("local-dir:"):
        print(
            f"warning: {bundle.name} is randomly initialised (--pretrained none, seed {seed}): the numbers describe "
            "an untrained model.",
            file=sys.stderr,
        )
    with tqdm(
        total=len(images) + len(texts), desc="embedding", unit="item", disable=not progress, file=sys.stderr
    ) as bar:
        img = encode_images(bundle, images, batch_size=batch_size, normalize=False, on_batch=bar.update)
        txt = encode_texts(bundle, texts, batch_size=batch_size, normalize=False, on_batch=bar.update)
    return {"image": img, "text": txt, "text_to_image": t2i}
