package localspace.spark;

import java.io.File;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.classic.SparkSession;

/**
 * The {@code spark.sql.catalog.NAME} entries that make {@code NAME.schema.table} resolve
 * through {@link UnityCatalog}: one per catalog folder under the volumes root.
 */
public final class Catalogs {
  private Catalogs() {}

  /** A catalog made by {@code CREATE CATALOG}, for the session that made it. */
  public static void register(String name) {
    register(SparkSession.active(), name);
  }

  /**
   * A new run's or statement's session (spark_engine._session): every catalog made so far
   * (a folder may have come from the REST API) registered on it and on the root session
   * (Spark code outside a session's own thread, such as stream writers, looks catalogs up
   * there), and the session made the calling thread's active one (a catalog is looked up in
   * the active session's conf). One Py4J call instead of one per setting.
   */
  public static void prepare(SparkSession session, SparkSession root) {
    File[] folders = new File(volumes()).listFiles(File::isDirectory);
    if (folders != null) {
      for (File folder : folders) {
        register(session, folder.getName());
        register(root, folder.getName());
      }
    }
    org.apache.spark.sql.SparkSession.setActiveSession(session);
    CatalogApi.install(session);  // spark.catalog with Unity Catalog names, in both
    CatalogApi.install(root);
  }

  private static void register(SparkSession session, String name) {
    String key = "spark.sql.catalog." + name;
    session.conf().set(key, UnityCatalog.class.getName());
    session.conf().set(key + ".volumes", volumes());
  }

  private static String volumes() {
    return SparkContext.getOrCreate().getConf().get("spark.hadoop.localspace.volumes");
  }
}
