"""``import`` of workspace files for one notebook run, without leaking into other runs.

On Databricks (Runtime 11.3+) a notebook's folder is on ``sys.path``, so ``import utils`` or
``from lib.helpers import f`` finds ``.py`` workspace files deployed beside it, and folders a
notebook adds (``sys.path.append(os.path.abspath(".."))``) are searched too
(https://docs.databricks.com/files/workspace-modules.html). A workspace ``.py`` file without
the ``# Databricks notebook source`` header is such a module; one with it is a notebook,
which ``import`` does not see (it is stored without its extension, workspace/models.py).

The spark engine runs every notebook in one process, where ``sys.path`` and ``sys.modules``
are shared: two runs deployed at different paths may each have a ``config.py``. So each run
gets its own view: ``import sys`` hands the notebook a ``sys`` whose ``path`` is the run's own
list (starting with its folder), and modules found in workspace folders live in the run's own
cache, never in ``sys.modules``. Such modules execute with the notebook's builtins, so their
own imports, ``open()`` and ``os`` behave as the notebook's do. Everything else (installed
packages, the standard library) is Python's ordinary import. Keeping workspace modules out of
``sys.modules`` also makes cloudpickle ship their functions to Python workers by value, as
Databricks distributes ``sys.path`` folders to executors.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import linecache
import os
import posixpath
import sys
import types
from pathlib import Path
from typing import Callable, Optional

from ..paths import Paths

_MISSING = object()


class RunSys(types.ModuleType):
    """``sys`` as one run sees it: its own ``path``; everything else is the real ``sys``."""

    def __init__(self, path: list[str]):
        super().__init__("sys")
        object.__setattr__(self, "path", path)

    def __getattr__(self, name: str):
        return getattr(sys, name)

    def __setattr__(self, name: str, value) -> None:
        if name == "path":
            object.__setattr__(self, name, value)
        else:
            setattr(sys, name, value)


class RunImportlib(types.ModuleType):
    """``importlib`` as one run sees it: ``import_module`` and ``reload`` know its workspace
    modules; everything else is the real ``importlib``."""

    def __init__(self, modules: "WorkspaceModules"):
        super().__init__("importlib")
        self._modules = modules

    def __getattr__(self, name: str):
        return getattr(importlib, name)

    def import_module(self, name: str, package: Optional[str] = None) -> types.ModuleType:
        fullname = importlib.util.resolve_name(name, package) if name.startswith(".") else name
        if self._modules._handles(fullname.partition(".")[0]):
            return self._modules._load(fullname)
        return importlib.import_module(name, package)

    def reload(self, module: types.ModuleType) -> types.ModuleType:
        """A workspace module runs again from its file (the edit a notebook wants to see)."""
        if self._modules._cache.get(module.__name__) is module and getattr(module, "__spec__", None) \
                and module.__spec__.origin:
            self._modules._execute(module, Path(module.__spec__.origin))
            return module
        return importlib.reload(module)


class WorkspaceModules:
    """One run's workspace imports: its ``sys`` and the modules found in workspace folders."""

    def __init__(self, paths: Paths, cwd: str):
        self._paths = paths
        self._cwd = cwd
        self.sys = RunSys([cwd] + list(sys.path))
        self.importlib = RunImportlib(self)
        self._cache: dict[str, types.ModuleType] = {}
        self.builtins: dict = {}    # the notebook's builtins, set once they are built

    # -- where a module is ------------------------------------------------------------------

    def _workspace_folder(self, entry) -> Optional[Path]:
        """The local folder a sys.path entry names when it is in the workspace, else None."""
        if not isinstance(entry, str):
            return None
        if not entry.startswith("/"):  # "" and "../src" are relative to the notebook's folder
            entry = posixpath.normpath(posixpath.join(self._cwd, entry))
        if entry == "/Workspace" or entry.startswith("/Workspace/"):
            return self._paths.workspace(entry)
        local = Path(entry)
        root = self._paths.workspace_root
        return local if local.is_absolute() and (local == root or root in local.parents) else None

    def _find_top(self, name: str) -> Optional[importlib.machinery.ModuleSpec]:
        """Walk the run's sys.path in order, as Python does: a workspace folder that has the
        module wins if it comes first; an ordinary entry that has it means ordinary import."""
        if name in sys.modules or name in sys.builtin_module_names:
            return None
        namespace = None
        for entry in list(self.sys.path):
            folder = self._workspace_folder(entry)
            if folder is None:
                found = isinstance(entry, str) and importlib.machinery.PathFinder.find_spec(name, [entry])
                if found and found.origin is not None:
                    return None
                continue
            spec = _spec_in(name, name, [str(folder)])
            if spec is not None and spec.loader is not None:
                return spec
            namespace = namespace or spec  # a plain folder: a namespace package, if nothing else
        return namespace

    # -- importing --------------------------------------------------------------------------

    def _load(self, fullname: str) -> types.ModuleType:
        if fullname in self._cache:
            return self._cache[fullname]
        parent_name, _, last = fullname.rpartition(".")
        if parent_name:
            parent = self._load(parent_name)
            spec = _spec_in(fullname, last, list(getattr(parent, "__path__", [])))
        else:
            spec = self._find_top(fullname)
        if spec is None:
            raise ModuleNotFoundError(f"No module named '{fullname}'", name=fullname)
        module = importlib.util.module_from_spec(spec)
        module.__builtins__ = self.builtins
        self._cache[fullname] = module
        try:
            if spec.origin and spec.loader is not None:  # a namespace package has no code
                self._execute(module, Path(spec.origin))
        except BaseException:
            del self._cache[fullname]
            raise
        if parent_name:
            setattr(self._cache[parent_name], last, module)
        return module

    def _execute(self, module: types.ModuleType, local: Path) -> None:
        """Run the module's source compiled under its workspace name, so tracebacks read
        ``/Workspace/Shared/x/helpers.py`` as on Databricks (``__file__`` stays the local file,
        which ``pathlib`` and ``open`` can reach)."""
        source = local.read_text(encoding="utf-8")
        shown = "/Workspace/" + local.relative_to(self._paths.workspace_root).as_posix()
        linecache.cache[shown] = (len(source), None, source.splitlines(keepends=True), shown)
        code = compile(source, shown, "exec", dont_inherit=True)  # not this file's __future__
        # While it runs, the module is in sys.modules, as an imported module is: what a class
        # body's decorators look up there (dataclasses resolves string annotations, those of
        # `from __future__ import annotations`, through sys.modules[cls.__module__]) is found.
        name = module.__name__
        previous = sys.modules.get(name, _MISSING)
        sys.modules[name] = module
        try:
            exec(code, module.__dict__)
        finally:
            if sys.modules.get(name) is module:
                if previous is _MISSING:
                    del sys.modules[name]
                else:
                    sys.modules[name] = previous

    def _handles(self, top: str) -> bool:
        return top in self._cache or self._find_top(top) is not None

    def import_hook(self, real_import: Callable) -> Callable:
        """An ``__import__`` that serves workspace modules from this run and passes the rest on."""

        def __import__(name, globals=None, locals=None, fromlist=(), level=0):
            if level:
                package = (globals or {}).get("__package__") or ""
                if package.partition(".")[0] not in self._cache:
                    return real_import(name, globals, locals, fromlist, level)
                fullname = importlib.util.resolve_name("." * level + name, package) if name else \
                    importlib.util.resolve_name("." * level, package)
            else:
                fullname = name
                if not self._handles(name.partition(".")[0]):
                    return real_import(name, globals, locals, fromlist, level)
            module = self._load(fullname)
            if not fromlist:
                return self._cache[fullname.partition(".")[0]] if not level else module
            self._from(module, fromlist)
            return module

        return __import__

    def _from(self, module: types.ModuleType, fromlist) -> None:
        """``from package import submodule``: load submodules that are not attributes yet."""
        if not hasattr(module, "__path__"):
            return
        names = list(fromlist)
        if "*" in names:
            names = [n for n in getattr(module, "__all__", []) if isinstance(n, str)]
        for item in names:
            if item != "*" and not hasattr(module, item):
                try:
                    self._load(f"{module.__name__}.{item}")
                except ModuleNotFoundError:
                    pass  # Python leaves the ImportError to the name lookup


def _spec_in(fullname: str, last: str, folders: list[str]) -> Optional[importlib.machinery.ModuleSpec]:
    """A source module or package ``last`` in one of ``folders``: ``x.py``, ``x/__init__.py``,
    or ``x/`` (a namespace package)."""
    for folder in folders:
        base = os.path.join(folder, last)
        init = os.path.join(base, "__init__.py")
        if os.path.isfile(init):
            return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[base])
        if os.path.isfile(base + ".py"):
            return importlib.util.spec_from_file_location(fullname, base + ".py")
    for folder in folders:
        base = os.path.join(folder, last)
        if os.path.isdir(base) and last.isidentifier():
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [base]
            return spec
    return None
