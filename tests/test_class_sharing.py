"""The JVM class archive's name and options (class_sharing.py); building one is `make jars`'s,
and test_engine_spark.py checks that the engine's JVM maps it."""
from __future__ import annotations

import os

from localspace.engine import class_sharing


def test_the_archive_is_named_by_the_jdk_and_the_jars_so_a_changed_jar_gets_a_new_one(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALSPACE_JARS", str(tmp_path / "cache"))
    jar = tmp_path / "extra.jar"
    jar.write_bytes(b"one")
    first = class_sharing.archive_path([str(jar)])
    assert first == class_sharing.archive_path([str(jar)])
    assert first.parent == tmp_path / "cache" and first.suffix == ".jsa"
    jar.write_bytes(b"two, longer")
    os.utime(jar, ns=(1, 1))
    assert class_sharing.archive_path([str(jar)]) != first


def test_options_load_an_archive_only_when_there_and_write_one_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALSPACE_JARS", str(tmp_path))
    assert class_sharing.java_options([]) == ""
    archive = class_sharing.archive_path([])
    archive.write_bytes(b"x")
    assert f"-XX:SharedArchiveFile={archive}" in class_sharing.java_options([]).split()
    writing = class_sharing.java_options([], dump_to=tmp_path / "new.jsa").split()
    assert f"-XX:ArchiveClassesAtExit={tmp_path / 'new.jsa'}" in writing
    assert not any(o.startswith("-XX:SharedArchiveFile") for o in writing)
