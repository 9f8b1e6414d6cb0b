"""The python engine's SQL: Unity Catalog names and namespace statements on sqlite."""
from __future__ import annotations

import pytest

from localspace.engine.base import SqlError
from localspace.engine.sqlstore import SqlStore
from localspace.engine.sqltext import rewrite_tables, split_statements
from localspace.paths import Paths
from localspace.unity import models as unity


@pytest.fixture
def store(tmp_path):
    """A store whose metastore has the catalogs main and dev (folders, see unity/models.py)."""
    paths = Paths(tmp_path / "root")
    for catalog in ("main", "dev"):
        unity.ensure_catalog(paths, catalog)
    return SqlStore(paths)


def run(store, sql, catalog=None, schema=None):
    with store.session(catalog, schema) as session:
        return session.execute(sql)


def test_rewrite_touches_table_positions_only():
    mark = lambda parts: "<" + ".".join(parts) + ">"
    sql = ("WITH recent AS (SELECT * FROM dev.sbit.logs) SELECT u.name FROM dev.sbit.users u, "
           "sbit.other AS o JOIN recent r ON u.id = r.id WHERE u.name <> 'FROM x' ORDER BY 1 DESC")
    assert rewrite_tables(sql, mark) == (
        "WITH recent AS (SELECT * FROM <dev.sbit.logs>) SELECT u.name FROM <dev.sbit.users> u, "
        "<sbit.other> AS o JOIN recent r ON u.id = r.id WHERE u.name <> 'FROM x' ORDER BY 1 DESC")


def test_split_statements_ignores_semicolons_in_strings_and_comments():
    assert split_statements("SELECT ';' AS a; /* ; */ ;SELECT 2;") == ["SELECT ';' AS a", "SELECT 2"]


def test_three_part_names_schemas_and_types(store):
    run(store, "CREATE CATALOG IF NOT EXISTS dev")
    run(store, "CREATE SCHEMA IF NOT EXISTS dev.sbit")
    run(store, "CREATE TABLE dev.sbit.users (id BIGINT, name STRING, score DOUBLE) USING parquet")
    inserted = run(store, "INSERT INTO dev.sbit.users VALUES (1, 'ann', 1.5), (2, NULL, 2.0)")
    assert inserted.rows == [["2", "2"]]
    result = run(store, "SELECT id, name, score FROM users ORDER BY id", catalog="dev", schema="sbit")
    assert [(c.name, c.type_name) for c in result.columns] == [("id", "LONG"), ("name", "STRING"),
                                                                ("score", "DOUBLE")]
    assert result.rows == [["1", "ann", "1.5"], ["2", None, "2.0"]]
    assert run(store, "SELECT count(*) AS n FROM sbit.users", catalog="dev").rows == [["2"]]
    assert run(store, "SHOW TABLES IN dev.sbit").rows == [["sbit", "users", "false"]]
    assert ["sbit"] in run(store, "SHOW SCHEMAS IN dev").rows
    assert ["dev"] in run(store, "SHOW CATALOGS").rows


def test_errors_read_like_databricks(store):
    with pytest.raises(SqlError, match=r"\[TABLE_OR_VIEW_NOT_FOUND\] .*`dev`.`sbit`.`nope`"):
        run(store, "SELECT * FROM dev.sbit.nope")
    with pytest.raises(SqlError, match=r"\[SCHEMA_NOT_FOUND\] The schema `dev`.`nope`"):
        run(store, "CREATE TABLE dev.nope.t (id INT)")
    with pytest.raises(SqlError, match="^localspace does not emulate Delta Lake on the python engine"):
        run(store, "CREATE TABLE t (id INT) USING DELTA")
    with pytest.raises(SqlError, match="^localspace does not emulate COPY INTO on the python engine"):
        run(store, "COPY INTO dev.sbit.t FROM '/Volumes/dev/sbit/in' FILEFORMAT = JSON")


def test_drop_schema_cascade_and_volumes(store):
    run(store, "CREATE SCHEMA dev.sbit")
    run(store, "CREATE VOLUME IF NOT EXISTS dev.sbit.landing")
    volume = store.paths.volumes_root / "dev/sbit/landing"
    assert volume.is_dir()
    run(store, "CREATE OR REPLACE TABLE dev.sbit.t AS SELECT 1 AS id")
    run(store, "CREATE OR REPLACE TABLE dev.sbit.t AS SELECT 2 AS id")
    assert run(store, "SELECT id FROM dev.sbit.t").rows == [["2"]]
    with pytest.raises(SqlError, match="SCHEMA_NOT_EMPTY"):
        run(store, "DROP SCHEMA dev.sbit")
    run(store, "DROP SCHEMA IF EXISTS dev.sbit CASCADE")
    assert not volume.exists()
    with pytest.raises(SqlError, match="TABLE_OR_VIEW_NOT_FOUND"):
        run(store, "SELECT * FROM dev.sbit.t")
    run(store, "DROP SCHEMA IF EXISTS dev.sbit CASCADE")


def test_use_insert_overwrite_truncate_and_temp_views(store):
    with store.session() as session:
        session.execute("CREATE SCHEMA dev.s")
        session.execute("USE CATALOG dev")
        session.execute("USE SCHEMA s")
        session.execute("CREATE TABLE t (id INT)")
        session.execute("INSERT INTO t VALUES (1), (2)")
        session.execute("INSERT OVERWRITE TABLE t SELECT 3")
        assert session.execute("SELECT * FROM dev.s.t").rows == [["3"]]
        session.execute("CREATE OR REPLACE TEMP VIEW v AS SELECT id * 2 AS d FROM t")
        assert session.execute("SELECT d FROM v").rows == [["6"]]
        session.execute("TRUNCATE TABLE t")
        assert session.execute("SELECT count(*) FROM t").rows == [["0"]]
        assert [r[0] for r in session.execute("DESCRIBE TABLE t").rows] == ["id"]


def test_namespaces_are_the_unity_catalog_folders(store):
    """One model: what SQL creates is a folder, and a folder made elsewhere is a namespace."""
    with pytest.raises(SqlError, match="NO_SUCH_CATALOG_EXCEPTION"):
        run(store, "CREATE SCHEMA nocat.s")
    run(store, "CREATE SCHEMA dev.made_by_sql")
    assert unity.exists(store.paths, "dev", "made_by_sql")
    unity.schema_dir(store.paths, "dev", "made_by_api").mkdir()
    assert ["made_by_api"] in run(store, "SHOW SCHEMAS IN dev").rows
    unity.ensure_catalog(store.paths, "other")
    assert run(store, "SHOW CATALOGS").rows == [["dev"], ["main"], ["other"]]
    run(store, "DROP CATALOG other CASCADE")
    assert not unity.exists(store.paths, "other")


@pytest.mark.parametrize("select,row,types", [
    ("SELECT 1 = 1, 1 <> 1", ["true", "false"], ["BOOLEAN", "BOOLEAN"]),
    ("SELECT 1 > 0 AS ok, count(*) FROM (SELECT 1)", ["true", "1"], ["BOOLEAN", "LONG"]),
    ("SELECT NULL IS NULL, 'a' LIKE 'b'", ["true", "false"], ["BOOLEAN", "BOOLEAN"]),
    ("SELECT CASE WHEN 1 > 0 THEN 'y' END, max(1 > 0)", ["y", "1"], ["STRING", "LONG"]),
], ids=["comparisons", "alias and count", "is null and like", "case and function"])
def test_predicates_come_back_as_booleans(store, select, row, types):
    result = run(store, select)
    assert result.rows == [row]
    assert [c.type_name for c in result.columns] == types
