"""The torchvision shim: open_clip imports after modgap_edu; a no-op where the extension loads."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Load the shim's file on its own, without running modgap_edu/__init__.py (which arms install()).
LOAD_STANDALONE = """
import importlib.util, os, sys, pathlib
spec = importlib.util.find_spec("modgap_edu")
path = pathlib.Path(spec.origin).parent / "_runtime" / "torchvision_compat.py"
s = importlib.util.spec_from_file_location("tv_compat_standalone", path)
c = importlib.util.module_from_spec(s)
s.loader.exec_module(c)
"""


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_open_clip_imports_after_modgap_edu_and_encodes():
    out = run(
        textwrap.dedent("""
        import modgap_edu, open_clip, torch
        model = open_clip.create_model("ViT-S-32-alt", pretrained=None)
        tok = open_clip.get_tokenizer("ViT-S-32-alt")
        with torch.no_grad():
            t = model.encode_text(tok(["a photo of a cat"]))
        print(tuple(t.shape)[0])
    """)
    )
    assert out.split()[-1] == "1"


def test_shim_active_exactly_when_extension_cannot_load():
    out = run(
        LOAD_STANDALONE
        + textwrap.dedent("""
        tv = os.path.dirname(importlib.util.find_spec("torchvision").origin)
        loads = c._extension_loads(tv)
        active = c.install()
        import torchvision, open_clip  # must import either way
        print(active == (not loads))
    """)
    )
    assert out.split()[-1] == "True"


def test_shim_is_noop_when_extension_loads():
    """Where torchvision's C++ ops load (e.g. Binder's +cpu build), install() defines nothing."""
    out = run(
        LOAD_STANDALONE
        + textwrap.dedent("""
        c._extension_loads = lambda d: True
        print(c.install(), c.ACTIVE, c._LIBRARY)
    """)
    )
    assert out.split() == ["False", "False", "None"]


def test_shim_is_noop_when_torchvision_already_imported():
    out = run(
        LOAD_STANDALONE
        + textwrap.dedent("""
        import types
        sys.modules["torchvision"] = types.ModuleType("torchvision")
        print(c.install(), c.ACTIVE)
    """)
    )
    assert out.split() == ["False", "False"]


def test_install_is_idempotent():
    out = run(
        textwrap.dedent("""
        import modgap_edu, open_clip  # importing torchvision runs the guard once
        from modgap_edu._runtime import torchvision_compat as c
        first = c.ACTIVE
        print(c.install() == first)
    """)
    )
    assert out.strip() == "True"


def test_package_import_is_light_and_arms_the_guard():
    out = run(
        textwrap.dedent("""
        import sys
        import modgap_edu
        from modgap_edu._runtime import torchvision_compat as c
        print("torch" in sys.modules, c._HOOK in sys.meta_path)
        import torchvision  # noqa: F401  (the guard runs first, then leaves sys.meta_path)
        print(c._HOOK in sys.meta_path)
    """)
    )
    assert out.split() == ["False", "True", "False"]
