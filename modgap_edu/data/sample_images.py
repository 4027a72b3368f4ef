"""Real photos that ship inside installed packages, with captions written for this course (lesson 02).

Lesson 02 embeds these with random-init encoders (Liang et al. 2022, Fig. 2a "real data"
protocol, on 24 images instead of 5,000 COCO images) and uses them for the fallback
image-caption pairs when the real CLIP features cannot be had. Everything loads offline:
scikit-image's ``skimage.data``, scikit-learn's ``load_sample_images`` and matplotlib's
``sample_data`` folder. The captions are ours (one per image, COCO style).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from modgap_edu.core import validation as V

# (source, name, caption). Sources: "skimage" (skimage.data.<name>), "sklearn"
# (load_sample_images, by file name), "matplotlib" (mpl-data/sample_data/<name>).
CATALOGUE: tuple[tuple[str, str, str], ...] = (
    ("skimage", "astronaut", "an astronaut in an orange spacesuit smiling in front of an American flag"),
    ("skimage", "camera", "a black and white photo of a man looking through a camera on a tripod"),
    ("skimage", "chelsea", "a close-up of a tabby cat with green eyes"),
    ("skimage", "coffee", "a cup of espresso on a red saucer with a spoon"),
    ("skimage", "coins", "rows of old silver coins on a dark background"),
    ("skimage", "horse", "the black silhouette of a horse on a white background"),
    ("skimage", "rocket", "a rocket on a launch pad at night with bright lights"),
    ("skimage", "moon", "a grey close-up of the cratered surface of the moon"),
    ("skimage", "page", "a scanned page of printed text about image segmentation"),
    ("skimage", "text", "handwritten marks on a sheet of paper"),
    ("skimage", "clock", "a blurry grey photo of a small clock"),
    ("skimage", "brick", "a grey brick wall seen at an angle"),
    ("skimage", "grass", "a close-up of a patch of grass"),
    ("skimage", "gravel", "a close-up of small grey gravel stones"),
    ("skimage", "hubble_deep_field", "thousands of galaxies in a deep space telescope image"),
    ("skimage", "immunohistochemistry", "a microscope image of stained brown and blue tissue"),
    ("skimage", "retina", "a photo of the back of a human eye with red blood vessels"),
    ("skimage", "colorwheel", "a circular rainbow colour wheel on a black background"),
    ("skimage", "logo", "a round green and orange logo with a snake drawing"),
    ("skimage", "checkerboard", "a black and white checkerboard pattern"),
    ("skimage", "stereo_motorcycle", "a red motorcycle parked in a garage"),
    ("sklearn", "china.jpg", "a tall Chinese pagoda on a hill under a blue sky"),
    ("sklearn", "flower.jpg", "an orange dahlia flower in front of green leaves"),
    ("matplotlib", "grace_hopper.jpg", "a portrait of a woman in a navy uniform in front of a flag"),
    ("matplotlib", "Minduka_Present_Blue_Pack.png", "a blue gift box tied with a silver ribbon"),
)


@dataclass(frozen=True)
class SampleImage:
    name: str
    caption: str
    pixels: np.ndarray  # (H, W, 3) uint8

    def to_pil(self):
        from PIL import Image

        return Image.fromarray(self.pixels)


def _load(source: str, name: str) -> np.ndarray:
    if source == "skimage":
        import skimage.data

        img = getattr(skimage.data, name)()
        if name == "stereo_motorcycle":
            img = img[0]
    elif source == "sklearn":
        # read the file directly: importing sklearn.datasets costs ~100 MB of RAM
        import importlib.util

        from PIL import Image

        folder = importlib.util.find_spec("sklearn").submodule_search_locations[0]
        with Image.open(os.path.join(folder, "datasets", "images", name)) as im:
            img = np.asarray(im.convert("RGB"))
    elif source == "matplotlib":
        import matplotlib
        import matplotlib.image as mpimg

        img = mpimg.imread(os.path.join(matplotlib.get_data_path(), "sample_data", name))
    else:  # pragma: no cover - catalogue is fixed
        raise ValueError(f"unknown image source {source!r}")
    return _to_rgb_uint8(np.asarray(img))


def _to_rgb_uint8(img: np.ndarray) -> np.ndarray:
    """Any bundled image (bool, uint8 or float in [0, 1]; gray, RGB or RGBA) -> contiguous RGB uint8.

    scikit-image's dtype and colour helpers: ``img_as_ubyte`` (bool -> 0/255, floats rounded), ``gray2rgb``,
    and ``rgba2rgb`` composited on white. For the 25 catalogue images the pixels are bit-identical to the
    hand-written conversion this replaced (checked when the change was made), so lesson 02 numbers stay.
    """
    from skimage.color import gray2rgb, rgba2rgb
    from skimage.util import img_as_ubyte

    img = img_as_ubyte(np.asarray(img))
    if img.ndim == 2:
        img = gray2rgb(img)
    if img.shape[-1] == 4:
        img = img_as_ubyte(rgba2rgb(img, background=(1, 1, 1)))
    return np.ascontiguousarray(img[..., :3])


def _shrink(img: np.ndarray, short_side: int) -> np.ndarray:
    """Downscale so the short side is ``short_side`` (saves memory; encoders resize to 224 anyway)."""
    from PIL import Image

    h, w = img.shape[:2]
    if min(h, w) <= short_side:
        return img
    scale = short_side / min(h, w)
    pil = Image.fromarray(img).resize((round(w * scale), round(h * scale)), Image.BICUBIC)
    return np.asarray(pil)


def load_sample_images(n: int | None = None, short_side: int = 256) -> list[SampleImage]:
    """The course's bundled image-caption pairs (lesson 02), in catalogue order.

    ``n`` (default: all 25) takes the first ``n``; images are RGB uint8 with the short side
    at most ``short_side`` pixels.
    """
    if n is None:
        n = len(CATALOGUE)
    V.integer(n, "n", 1, len(CATALOGUE))
    V.integer(short_side, "short_side", 32)  # pixels
    return [
        SampleImage(name, caption, _shrink(_load(src, name), int(short_side)))
        for src, name, caption in CATALOGUE[: int(n)]
    ]
