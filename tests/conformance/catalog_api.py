# Databricks notebook source
# MAGIC %md `spark.catalog` and `information_schema` with Unity Catalog names, the way pipelines check what exists.

# COMMAND ----------

catalog, schema = "dev", "conf_catalog_api"
spark.sql(f"CREATE TABLE IF NOT EXISTS {catalog}.{schema}.events (id BIGINT NOT NULL, kind STRING COMMENT 'what happened', amount DECIMAL(10,2), at TIMESTAMP)")
spark.sql(f"CREATE OR REPLACE VIEW {catalog}.{schema}.big_events AS SELECT * FROM {catalog}.{schema}.events WHERE amount > 10")
spark.sql(f"CREATE VOLUME IF NOT EXISTS {catalog}.{schema}.landing")
facts = []

# COMMAND ----------

# The existence checks setup notebooks start with.
facts.append(("table_exists", [spark.catalog.tableExists(f"{catalog}.{schema}.events"),
                               spark.catalog.tableExists("events", f"{catalog}.{schema}"),
                               spark.catalog.tableExists(f"{catalog}.{schema}.nope")]))
facts.append(("database_exists", [spark.catalog.databaseExists(f"{catalog}.{schema}"),
                                  spark.catalog.databaseExists(f"{catalog}.nope")]))
facts.append(("list_tables", sorted((t.name, t.catalog, t.namespace[0], t.tableType)
                                    for t in spark.catalog.listTables(f"{catalog}.{schema}"))))
facts.append(("catalogs", sorted(c.name for c in spark.catalog.listCatalogs())))
facts.append(("get_table", [spark.catalog.getTable(f"{catalog}.{schema}.events").catalog,
                            spark.catalog.getTable(f"{catalog}.{schema}.events").namespace]))
facts.append(("columns", [(c.name, c.dataType, c.nullable, c.description)
                          for c in spark.catalog.listColumns(f"{catalog}.{schema}.events")]))

# COMMAND ----------

spark.catalog.setCurrentCatalog(catalog)
spark.catalog.setCurrentDatabase(schema)
facts.append(("current", [spark.catalog.currentCatalog(), spark.catalog.currentDatabase()]))
facts.append(("databases_here", schema in [d.name for d in spark.catalog.listDatabases()]))
facts.append(("two_part", spark.catalog.tableExists(f"{schema}.events")))
spark.range(3).createOrReplaceTempView("scratch")
facts.append(("temp_view_dropped", [spark.catalog.tableExists("scratch"), spark.catalog.dropTempView("scratch"),
                                    spark.catalog.tableExists("scratch")]))
spark.catalog.refreshTable(f"{catalog}.{schema}.events")
spark.catalog.cacheTable(f"{catalog}.{schema}.events")
facts.append(("cached", spark.catalog.isCached(f"{catalog}.{schema}.events")))
spark.catalog.clearCache()
facts.append(("cache_cleared", spark.catalog.isCached(f"{catalog}.{schema}.events")))

# COMMAND ----------

# information_schema: the SQL way to ask the same.
exists = spark.sql(f"""SELECT count(*) AS n FROM {catalog}.information_schema.tables
                       WHERE table_schema = '{schema}' AND table_name = 'events'""").first().n
facts.append(("is_table_exists", exists))
facts.append(("is_tables", [list(r) for r in spark.sql(f"""
    SELECT table_catalog, table_schema, table_name, table_type, data_source_format
    FROM system.information_schema.tables WHERE table_schema = '{schema}' ORDER BY table_name""").collect()]))
facts.append(("is_columns", [list(r) for r in spark.sql(f"""
    SELECT column_name, ordinal_position, data_type, full_data_type, is_nullable, comment
    FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'events'
    ORDER BY ordinal_position""").collect()]))
facts.append(("is_schemata", spark.sql(f"SELECT count(*) FROM {catalog}.information_schema.schemata WHERE schema_name = '{schema}'").first()[0]))
facts.append(("is_volumes", [list(r) for r in spark.sql(f"""
    SELECT volume_name, volume_type FROM {catalog}.information_schema.volumes WHERE volume_schema = '{schema}'""").collect()]))
# The JVM road (foreachBatch code) sees the same.
facts.append(("is_from_jvm", spark.range(1)._jdf.sparkSession().sql(
    f"SELECT count(*) FROM {catalog}.information_schema.tables WHERE table_schema = '{schema}'").first().getLong(0)))

# COMMAND ----------

import json
spark.createDataFrame([(k, json.dumps(v)) for k, v in facts], "key STRING, value STRING").write.saveAsTable("facts")
