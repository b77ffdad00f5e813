"""A planner's own Python functions, named in a scenario as ``module:function`` (a dispatch order, a divert rule).

The module is looked for first beside the scenario file (``module.py`` in its folder), then on the Python path,
so a policy can live next to the scenario that uses it. The scenario records the name, not the code: a results
folder is reproduced only with the same module.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

SPEC = r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$"
"""What a function's name looks like in a scenario: ``module:function`` or ``package.module:function``."""


def load_function(spec: str, folder: str | Path = ".") -> Callable[..., object]:
    """The function ``module:function`` (or ``module.sub:function``): a module file beside the scenario
    (``folder/module.py``) first, then the Python path. Raises ValueError saying what is wrong."""
    module_name, sep, name = spec.partition(":")
    if not sep or not module_name or not name.isidentifier():
        raise ValueError(f"expected a built-in name or 'module:function', got {spec!r}")
    beside = Path(folder) / (module_name.replace(".", "/") + ".py")
    try:
        if beside.is_file():
            key = "stormcrew_plugin_" + hashlib.sha1(str(beside.resolve()).encode()).hexdigest()[:12]
            module = sys.modules.get(key)
            if module is None:
                loader_spec = importlib.util.spec_from_file_location(key, beside)
                assert loader_spec is not None and loader_spec.loader is not None
                module = importlib.util.module_from_spec(loader_spec)
                loader_spec.loader.exec_module(module)
                sys.modules[key] = module
        else:
            module = importlib.import_module(module_name)
    except Exception as exc:  # a planner's module: any error in it is theirs to see, with its name
        raise ValueError(f"cannot import {module_name!r} (looked for {beside} and on the Python path): "
                         f"{type(exc).__name__}: {exc}") from None
    fn = getattr(module, name, None)
    if not callable(fn):
        raise ValueError(f"{module_name!r} has no function {name!r}")
    return fn
