package localspace.spark;

import org.apache.spark.SparkContext;
import org.apache.spark.sql.classic.SparkSession;

/**
 * Registers a Unity Catalog catalog made by {@code CREATE CATALOG} with the session that made
 * it: the {@code spark.sql.catalog.NAME} entry that makes {@code NAME.schema.table} resolve
 * through {@link UnityCatalog}. Every later session gets the entries of every catalog folder
 * when the engine creates it (spark_session.catalog_conf).
 */
public final class Catalogs {
  private Catalogs() {}

  public static void register(String name) {
    String volumes = SparkContext.getOrCreate().getConf().get("spark.hadoop.localspace.volumes");
    String key = "spark.sql.catalog." + name;
    SparkSession active = SparkSession.active();
    active.conf().set(key, UnityCatalog.class.getName());
    active.conf().set(key + ".volumes", volumes);
  }
}
