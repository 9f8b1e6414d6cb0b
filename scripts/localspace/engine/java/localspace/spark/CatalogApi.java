package localspace.spark;

import java.lang.reflect.Field;
import org.apache.spark.sql.catalog.CatalogMetadata;
import org.apache.spark.sql.catalog.Function;
import org.apache.spark.sql.classic.Catalog;
import org.apache.spark.sql.classic.Dataset;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.connector.catalog.CatalogManager;

/**
 * {@code spark.catalog} as on a Databricks cluster with Unity Catalog: Spark's own Catalog API,
 * except where Spark's answers assume a two-level metastore.
 *
 * <ul>
 *   <li>The forms that take a database and a name ({@code tableExists("t", "dev.s")}, {@code
 *       getTable}, {@code listColumns}, {@code functionExists}, {@code getFunction}) look the
 *       name up in the schema the database names, in the current catalog when it has one part
 *       (pyspark's {@code dbName}; Databricks resolves it like {@code dev.s.t}). Spark asks its
 *       session catalog for a database literally named {@code dev.s}.
 *   <li>{@code functionExists("dev.s.f")} sees SQL functions of Unity Catalog schemas ({@link
 *       UnityFunctions}).
 *   <li>{@code listCatalogs()} lists every Unity Catalog catalog that exists, never Spark's
 *       internal {@code spark_catalog} (Databricks: "SHOW CATALOGS", and {@code
 *       spark.catalog.listCatalogs} answers the same).
 * </ul>
 *
 * Spark has no setting for the class behind {@code SparkSession.catalog}, so {@link #install}
 * puts one into the session the engine hands a run or a statement.
 */
public class CatalogApi extends Catalog {
  private final SparkSession session;

  public CatalogApi(SparkSession session) {
    super(session);
    this.session = session;
  }

  /** Makes {@code session.catalog()} (a lazy field, set once computed) this class. */
  public static void install(SparkSession session) {
    if (session.catalog() instanceof CatalogApi) {  // also computes the lazy field, which stays
      return;
    }
    try {
      Field field = SparkSession.class.getDeclaredField("catalog");
      field.setAccessible(true);
      field.set(session, new CatalogApi(session));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("localspace: cannot set spark.catalog for Unity Catalog names", e);
    }
  }

  /**
   * Spark's Scala class declares AnalysisException where the interface it implements does not;
   * javac wants the override to say which, so this one throws it unchecked, as Scala does.
   */
  @Override
  public void setCurrentDatabase(String dbName) {
    try {
      super.setCurrentDatabase(dbName);
    } catch (Exception e) {
      throw CatalogApi.<RuntimeException>unchecked(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Exception> E unchecked(Exception e) throws E {
    throw (E) e;
  }

  private static String qualified(String dbName, String name) {
    return dbName + ".`" + name.replace("`", "``") + "`";
  }

  @Override
  public boolean tableExists(String dbName, String tableName) {
    return tableExists(qualified(dbName, tableName));
  }

  /**
   * A view of a Unity Catalog schema is kept in the session database behind it ({@link
   * UnityViews}); Spark then describes it as {@code spark_catalog} with the namespace {@code
   * dev.s}. Named here as the view's catalog and schema.
   */
  static org.apache.spark.sql.catalog.Table presented(org.apache.spark.sql.catalog.Table t) {
    String[] ns = t.namespace();
    if (!CatalogManager.SESSION_CATALOG_NAME().equals(t.catalog()) || ns == null || ns.length != 1) {
      return t;
    }
    String[] parts = ns[0].contains(".") ? ns[0].split("\\.", 2) : ns[0].split(UnityCatalog.SEPARATOR, 2);
    if (parts.length != 2) {
      return t;
    }
    return new org.apache.spark.sql.catalog.Table(t.name(), parts[0], new String[] {parts[1]}, t.description(),
        t.tableType(), t.isTemporary());
  }

  /** Renamed on the driver (a listing is small), as a local Dataset of the same encoder. */
  private Dataset<org.apache.spark.sql.catalog.Table> presented(Dataset<org.apache.spark.sql.catalog.Table> tables) {
    java.util.List<org.apache.spark.sql.catalog.Table> out = new java.util.ArrayList<>();
    for (org.apache.spark.sql.catalog.Table t : tables.collectAsList()) {
      out.add(presented(t));
    }
    return session.createDataset(out, tables.encoder());
  }

  @Override
  public Dataset<org.apache.spark.sql.catalog.Table> listTables() {
    return presented(super.listTables());
  }

  @Override
  public Dataset<org.apache.spark.sql.catalog.Table> listTables(String dbName) throws org.apache.spark.sql.AnalysisException {
    return presented(super.listTables(dbName));
  }

  @Override
  public Dataset<org.apache.spark.sql.catalog.Table> listTables(String dbName, String pattern)
      throws org.apache.spark.sql.AnalysisException {
    return presented(super.listTables(dbName, pattern));
  }

  @Override
  public org.apache.spark.sql.catalog.Table getTable(String tableName) {
    return presented(super.getTable(tableName));
  }

  @Override
  public org.apache.spark.sql.catalog.Table getTable(String dbName, String tableName) {
    return getTable(qualified(dbName, tableName));
  }

  @Override
  public Dataset<org.apache.spark.sql.catalog.Column> listColumns(String dbName, String tableName)
      throws org.apache.spark.sql.AnalysisException {
    return listColumns(qualified(dbName, tableName));
  }

  @Override
  public boolean functionExists(String functionName) {
    try {
      java.util.List<String> parts = scala.jdk.javaapi.CollectionConverters.asJava(
          session.sessionState().sqlParser().parseMultipartIdentifier(functionName));
      if (UnityFunctions.existing(parts) != null) {
        return true;  // a SQL function of a Unity Catalog schema (UnityFunctions)
      }
    } catch (Exception notAName) {
      // Spark's own answer below says what is wrong with the name
    }
    return super.functionExists(functionName);
  }

  @Override
  public boolean functionExists(String dbName, String functionName) {
    return functionExists(qualified(dbName, functionName));
  }

  @Override
  public Function getFunction(String dbName, String functionName) {
    return getFunction(qualified(dbName, functionName));
  }

  @Override
  public Dataset<CatalogMetadata> listCatalogs() {
    return listCatalogs(null);
  }

  @Override
  public Dataset<CatalogMetadata> listCatalogs(String pattern) {
    // Spark lists the catalogs loaded so far; load each configured one (a folder) first.
    CatalogManager cm = session.sessionState().catalogManager();
    for (java.util.Map.Entry<String, String> entry
        : scala.jdk.javaapi.CollectionConverters.asJava(session.conf().getAll()).entrySet()) {
      if (entry.getKey().matches("spark\\.sql\\.catalog\\.[^.]+")
          && entry.getValue().equals(UnityCatalog.class.getName())) {
        cm.catalog(entry.getKey().substring("spark.sql.catalog.".length()));
      }
    }
    Dataset<CatalogMetadata> all = pattern == null ? super.listCatalogs() : super.listCatalogs(pattern);
    return all.filter("name != '" + CatalogManager.SESSION_CATALOG_NAME() + "'");
  }
}
