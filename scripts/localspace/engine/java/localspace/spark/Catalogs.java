package localspace.spark;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
    for (String catalog : folders(volumesRoot())) {
      register(session, catalog);
      register(root, catalog);
    }
    org.apache.spark.sql.SparkSession.setActiveSession(session);
    CatalogApi.install(session);  // spark.catalog with Unity Catalog names, in both
    CatalogApi.install(root);
  }

  private static void register(SparkSession session, String name) {
    String key = "spark.sql.catalog." + name;
    session.conf().set(key, UnityCatalog.class.getName());
    session.conf().set(key + ".volumes", volumesRoot().getPath());
  }

  /** The folder whose sub-folders are the catalogs, their schemas and volumes. */
  static File volumesRoot() {
    return new File(SparkContext.getOrCreate().getConf().get("spark.hadoop.localspace.volumes"));
  }

  /** The names of the sub-folders of {@code dir}, sorted (none if it does not exist). */
  static List<String> folders(File dir) {
    String[] names = dir.list((d, n) -> new File(d, n).isDirectory());
    List<String> out = new ArrayList<>(Arrays.asList(names == null ? new String[0] : names));
    out.sort(null);
    return out;
  }
}
