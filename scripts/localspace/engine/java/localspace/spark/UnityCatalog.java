package localspace.spark;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.catalyst.analysis.NamespaceAlreadyExistsException;
import org.apache.spark.sql.catalyst.analysis.NoSuchNamespaceException;
import org.apache.spark.sql.catalyst.analysis.NoSuchTableException;
import org.apache.spark.sql.catalyst.analysis.NonEmptyNamespaceException;
import org.apache.spark.sql.catalyst.analysis.TableAlreadyExistsException;
import org.apache.spark.sql.catalyst.catalog.CatalogTableType;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.connector.catalog.Column;
import org.apache.spark.sql.connector.catalog.FunctionCatalog;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.catalyst.analysis.NoSuchFunctionException;
import org.apache.spark.sql.connector.catalog.Identifier;
import org.apache.spark.sql.connector.catalog.NamespaceChange;
import org.apache.spark.sql.connector.catalog.StagedTable;
import org.apache.spark.sql.connector.catalog.StagingTableCatalog;
import org.apache.spark.sql.connector.catalog.SupportsNamespaces;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCatalog;
import org.apache.spark.sql.connector.catalog.TableCatalogCapability;
import org.apache.spark.sql.connector.catalog.TableChange;
import org.apache.spark.sql.connector.catalog.TableInfo;
import org.apache.spark.sql.connector.catalog.TableWritePrivilege;
import org.apache.spark.sql.connector.catalog.V1Table;
import org.apache.spark.sql.delta.catalog.DeltaTableV2;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * One Unity Catalog catalog ({@code dev}) as a Spark catalog plugin, so {@code dev.sbit.users}
 * resolves inside Spark's analyzer from every road: {@code spark.sql}, {@code
 * df._jdf.sparkSession().sql}, {@code foreachBatch}, {@code DeltaTable.forName}, {@code
 * toTable}, the SQL warehouse.
 *
 * <p>Which catalogs, schemas and volumes exist is decided by folders under the emulator's
 * volumes root ({@code <volumes>/<catalog>/<schema>/<volume>}), the same folders the Unity
 * Catalog REST API and the Files API use, so there is one model of the namespace. Tables
 * are kept by Spark's session catalog, configured with Delta's {@code DeltaCatalog} as on a
 * Databricks cluster: the schema {@code dev.sbit} is the session database {@code dev__sbit},
 * which users never name and this class never shows (identifiers, errors and listings are
 * translated back here).
 */
public class UnityCatalog implements StagingTableCatalog, SupportsNamespaces, FunctionCatalog {
  static final String SEPARATOR = "__";
  private String name;
  private File catalogDir;

  @Override
  public void initialize(String name, CaseInsensitiveStringMap options) {
    this.name = name;
    String volumes = options.get("volumes");
    if (volumes == null) {
      throw new IllegalStateException("localspace: catalog " + name + " has no volumes option");
    }
    this.catalogDir = new File(volumes, name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String[] defaultNamespace() {
    return new String[] {"default"};
  }

  // ---- the session catalog underneath -------------------------------------------------

  private static StagingTableCatalog tables() {
    return (StagingTableCatalog) SparkSession.active().sessionState().catalogManager().v2SessionCatalog();
  }

  private static SupportsNamespaces databases() {
    return (SupportsNamespaces) SparkSession.active().sessionState().catalogManager().v2SessionCatalog();
  }

  private String database(String schema) {
    return name + SEPARATOR + schema.toLowerCase();
  }

  /** Managed tables of {@code catalog.schema} live in dbfs:/user/hive/warehouse/catalog/schema. */
  private Map<String, String> storage(String schema) {
    return Map.of(SupportsNamespaces.PROP_LOCATION,
        "dbfs:/user/hive/warehouse/" + name + "/" + schema.toLowerCase());
  }

  private File schemaDir(String schema) {
    return new File(catalogDir, schema.toLowerCase());
  }

  private void requireSchema(String[] namespace) throws NoSuchNamespaceException {
    if (namespace.length != 1 || !schemaDir(namespace[0]).isDirectory()) {
      throw new NoSuchNamespaceException(qualified(namespace));
    }
  }

  /**
   * The session-catalog identifier behind {@code ident}; makes the database on first use. A
   * Delta path name ({@code delta.`dbfs:/mnt/t`}) stays as it is: Delta's catalog underneath
   * reads, creates and drops tables by path itself.
   */
  private Identifier inner(Identifier ident) throws NoSuchNamespaceException {
    if (isDeltaPath(ident)) {
      return ident;
    }
    requireSchema(ident.namespace());
    String db = database(ident.namespace()[0]);
    String[] ns = new String[] {db};
    if (!databases().namespaceExists(ns)) {
      try {
        databases().createNamespace(ns, storage(ident.namespace()[0]));
      } catch (NamespaceAlreadyExistsException raced) {
        // another session made it first
      }
    }
    return Identifier.of(ns, ident.name());
  }

  /** The session-catalog identifier behind {@code ident}, for {@link UnityViews}. */
  Identifier sessionIdentifier(Identifier ident) throws NoSuchNamespaceException {
    return inner(ident);
  }

  private Identifier innerOrMissing(Identifier ident) throws NoSuchTableException {
    try {
      return inner(ident);
    } catch (NoSuchNamespaceException e) {
      throw missing(ident);
    }
  }

  /**
   * {@code delta.`/Volumes/dev/s/v/t`}: a Delta table named by its folder, which Databricks
   * reads in any current catalog ("Query Delta Lake tables by path": {@code SELECT * FROM
   * delta.`/path`}, https://docs.databricks.com/aws/en/delta/tutorial) and Delta creates
   * ({@code CREATE TABLE delta.`/path` (...)}: Delta docs, "Table batch reads and writes").
   * Spark asks the current catalog first, and Delta's catalog, not this one, knows path names.
   */
  private static boolean isDeltaPath(Identifier ident) {
    return ident.namespace().length == 1 && ident.namespace()[0].equalsIgnoreCase("delta")
        && new org.apache.hadoop.fs.Path(ident.name()).isAbsolute();
  }

  private String[] qualified(String[] namespace) {
    String[] parts = new String[namespace.length + 1];
    parts[0] = name;
    System.arraycopy(namespace, 0, parts, 1, namespace.length);
    return parts;
  }

  private NoSuchTableException missing(Identifier ident) {
    return new NoSuchTableException(Identifier.of(qualified(ident.namespace()), ident.name()));
  }

  private TableAlreadyExistsException exists(Identifier ident) {
    return new TableAlreadyExistsException(Identifier.of(qualified(ident.namespace()), ident.name()));
  }

  // ---- tables ------------------------------------------------------------------------

  @Override
  public Set<TableCatalogCapability> capabilities() {
    Set<TableCatalogCapability> all = new java.util.HashSet<>(tables().capabilities());
    all.add(TableCatalogCapability.SUPPORT_TABLE_CONSTRAINT);  // informational keys: InformationalKeys
    return all;
  }

  /** catalog.schema.table, the name users give the table (InformationalKeys' key). */
  private String fullName(Identifier ident) {
    return (name + "." + String.join(".", ident.namespace()) + "." + ident.name()).toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public Identifier[] listTables(String[] namespace) throws NoSuchNamespaceException {
    requireSchema(namespace);
    String[] db = new String[] {database(namespace[0])};
    if (!databases().namespaceExists(db)) {
      return new Identifier[0];
    }
    return Arrays.stream(tables().listTables(db))
        .map(i -> Identifier.of(namespace, i.name()))
        .toArray(Identifier[]::new);
  }

  @Override
  public Table loadTable(Identifier ident) throws NoSuchTableException {
    try {
      return presented(ident, tables().loadTable(innerOrMissing(ident)));
    } catch (NoSuchTableException e) {
      throw missing(ident);
    }
  }

  @Override
  public Table loadTable(Identifier ident, Set<TableWritePrivilege> privileges) throws NoSuchTableException {
    try {
      return presented(ident, tables().loadTable(innerOrMissing(ident), privileges));
    } catch (NoSuchTableException e) {
      throw missing(ident);
    }
  }

  /**
   * The table as this catalog shows it. A view is not a table here: Spark reads a view only
   * from its session catalog, where {@link UnityViews} points the name once this says the
   * table is missing. A Delta table carries its Unity Catalog name, which Delta shows and
   * which {@code DeltaTable.forName(...).detail()/history()/optimize()} resolve again.
   */
  private Table presented(Identifier ident, Table table) throws NoSuchTableException {
    if (table instanceof V1Table) {
      // A view, or a file-source table of hive_metastore (CSV, Parquet): Spark plans those only
      // from its session catalog, where UnityViews.Reads points their names.
      throw missing(ident);
    }
    if (table instanceof DeltaTableV2) {
      DeltaTableV2 delta = (DeltaTableV2) table;
      return delta.copy(delta.spark(), delta.path(), delta.catalogTable(),
          scala.Option.empty(), delta.timeTravelOpt(), delta.options());
    }
    return table;
  }

  private String qualifiedName(Identifier ident) {
    StringBuilder out = new StringBuilder();
    for (String part : qualified(ident.namespace())) {
      out.append(quoted(part)).append('.');
    }
    return out.append(quoted(ident.name())).toString();
  }

  private static String quoted(String part) {
    return part.matches("[A-Za-z0-9_]+") ? part : "`" + part.replace("`", "``") + "`";
  }

  @Override
  public Table loadTable(Identifier ident, String version) throws NoSuchTableException {
    return presented(ident, tables().loadTable(innerOrMissing(ident), version));
  }

  @Override
  public Table loadTable(Identifier ident, long timestamp) throws NoSuchTableException {
    return presented(ident, tables().loadTable(innerOrMissing(ident), timestamp));
  }

  @Override
  public void invalidateTable(Identifier ident) {
    try {
      tables().invalidateTable(inner(ident));
    } catch (NoSuchNamespaceException e) {
      // nothing cached for a schema that does not exist
    }
  }

  @Override
  public boolean tableExists(Identifier ident) {
    try {
      return tables().tableExists(inner(ident));
    } catch (NoSuchNamespaceException e) {
      return false;
    }
  }

  /**
   * Unity Catalog managed tables are Delta tables; a table of another format needs an
   * external location, which localspace does not emulate (README, "What each engine does").
   * The workspace's legacy {@code hive_metastore} takes tables of every format Spark reads
   * ({@code USING CSV LOCATION 'dbfs:/...'}), as a Hive metastore does.
   */
  private Map<String, String> deltaOnly(Map<String, String> properties) {
    String provider = properties.get(TableCatalog.PROP_PROVIDER);
    if (provider != null && !provider.equalsIgnoreCase("delta") && !name.equals("hive_metastore")) {
      throw new UnsupportedOperationException("localspace does not emulate " + provider
          + " tables in Unity Catalog (only Delta tables); see README section 'What each engine does'");
    }
    String location = properties.get(TableCatalog.PROP_LOCATION);
    if (location != null && IN_A_VOLUME.matcher(location).find()) {
      // "You can't define a table on any data files or directories within a volume"
      // (Databricks, "Path rules and access in Unity Catalog volumes").
      throw new IllegalArgumentException("[INVALID_PARAMETER_VALUE] The location " + location
          + " is in a volume: a table cannot be defined on files or folders within a volume;"
          + " leave out LOCATION to make a managed table");
    }
    return properties;
  }

  /**
   * A table written from a query (AS SELECT, saveAsTable) or replaced: Spark writes those
   * through the catalog, and a file-source table of hive_metastore has no such write here.
   */
  private Map<String, String> staged(Map<String, String> properties) {
    String provider = properties.get(TableCatalog.PROP_PROVIDER);
    if (name.equals("hive_metastore") && provider != null && !provider.equalsIgnoreCase("delta")) {
      throw new UnsupportedOperationException("localspace does not emulate CREATE OR REPLACE, AS SELECT or "
          + "saveAsTable for " + provider + " tables (README section 'What each engine does'); create the "
          + "table with CREATE TABLE ... USING " + provider + ", then INSERT INTO it");
    }
    return deltaOnly(properties);
  }

  private TableInfo staged(Identifier ident, TableInfo info) {
    staged(info.properties());
    return deltaOnly(ident, info);
  }

  private static final java.util.regex.Pattern IN_A_VOLUME =
      java.util.regex.Pattern.compile("^(?:dbfs:)?/+Volumes/", java.util.regex.Pattern.CASE_INSENSITIVE);

  private TableInfo deltaOnly(Identifier ident, TableInfo info) {
    deltaOnly(info.properties());
    return InformationalKeys.created(fullName(ident), info);
  }

  @Override
  public Table createTable(Identifier ident, StructType schema, Transform[] partitions,
      Map<String, String> properties) throws TableAlreadyExistsException, NoSuchNamespaceException {
    try {
      return tables().createTable(inner(ident), schema, partitions, deltaOnly(properties));
    } catch (TableAlreadyExistsException e) {
      throw exists(ident);
    }
  }

  @Override
  public Table createTable(Identifier ident, Column[] columns, Transform[] partitions,
      Map<String, String> properties) throws TableAlreadyExistsException, NoSuchNamespaceException {
    try {
      return tables().createTable(inner(ident), columns, partitions, deltaOnly(properties));
    } catch (TableAlreadyExistsException e) {
      throw exists(ident);
    }
  }

  @Override
  public Table createTable(Identifier ident, TableInfo info)
      throws TableAlreadyExistsException, NoSuchNamespaceException {
    try {
      return tables().createTable(inner(ident), deltaOnly(ident, info));
    } catch (TableAlreadyExistsException e) {
      throw exists(ident);
    }
  }

  @Override
  public boolean useNullableQuerySchema() {
    return tables().useNullableQuerySchema();
  }

  @Override
  public Table alterTable(Identifier ident, TableChange... changes) throws NoSuchTableException {
    Identifier inner = innerOrMissing(ident);
    TableChange[] forDelta = InformationalKeys.altered(fullName(ident), tables().loadTable(inner).schema(), changes);
    return forDelta.length == 0 ? loadTable(ident) : tables().alterTable(inner, forDelta);
  }

  @Override
  public boolean dropTable(Identifier ident) {
    try {
      return tables().dropTable(inner(ident));
    } catch (NoSuchNamespaceException e) {
      return false;
    }
  }

  @Override
  public boolean purgeTable(Identifier ident) {
    try {
      return tables().purgeTable(inner(ident));
    } catch (NoSuchNamespaceException e) {
      return false;
    }
  }

  @Override
  public void renameTable(Identifier from, Identifier to)
      throws NoSuchTableException, TableAlreadyExistsException {
    Identifier target;
    try {
      target = inner(to.namespace().length == 0 ? Identifier.of(from.namespace(), to.name()) : to);
    } catch (NoSuchNamespaceException e) {
      throw missing(to);
    }
    tables().renameTable(innerOrMissing(from), target);
  }

  // Atomic CREATE OR REPLACE TABLE and CTAS: Delta's staged tables, as on Databricks.

  @Override
  public StagedTable stageCreate(Identifier ident, StructType schema, Transform[] partitions,
      Map<String, String> properties) throws TableAlreadyExistsException, NoSuchNamespaceException {
    return tables().stageCreate(inner(ident), schema, partitions, staged(properties));
  }

  @Override
  public StagedTable stageCreate(Identifier ident, Column[] columns, Transform[] partitions,
      Map<String, String> properties) throws TableAlreadyExistsException, NoSuchNamespaceException {
    return tables().stageCreate(inner(ident), columns, partitions, staged(properties));
  }

  @Override
  public StagedTable stageCreate(Identifier ident, TableInfo info)
      throws TableAlreadyExistsException, NoSuchNamespaceException {
    return tables().stageCreate(inner(ident), staged(ident, info));
  }

  @Override
  public StagedTable stageReplace(Identifier ident, StructType schema, Transform[] partitions,
      Map<String, String> properties) throws NoSuchNamespaceException, NoSuchTableException {
    return tables().stageReplace(inner(ident), schema, partitions, staged(properties));
  }

  @Override
  public StagedTable stageReplace(Identifier ident, Column[] columns, Transform[] partitions,
      Map<String, String> properties) throws NoSuchNamespaceException, NoSuchTableException {
    return tables().stageReplace(inner(ident), columns, partitions, staged(properties));
  }

  @Override
  public StagedTable stageReplace(Identifier ident, TableInfo info)
      throws NoSuchNamespaceException, NoSuchTableException {
    return tables().stageReplace(inner(ident), staged(ident, info));
  }

  @Override
  public StagedTable stageCreateOrReplace(Identifier ident, StructType schema,
      Transform[] partitions, Map<String, String> properties) throws NoSuchNamespaceException {
    return tables().stageCreateOrReplace(inner(ident), schema, partitions, staged(properties));
  }

  @Override
  public StagedTable stageCreateOrReplace(Identifier ident, Column[] columns,
      Transform[] partitions, Map<String, String> properties) throws NoSuchNamespaceException {
    return tables().stageCreateOrReplace(inner(ident), columns, partitions, staged(properties));
  }

  @Override
  public StagedTable stageCreateOrReplace(Identifier ident, TableInfo info)
      throws NoSuchNamespaceException {
    return tables().stageCreateOrReplace(inner(ident), staged(ident, info));
  }

  // ---- functions: SQL functions live in the session database behind the schema ------------
  // (UnityFunctions points their names there as parsed and Spark resolves them as session
  // catalog functions, so this catalog has none of its own; spark.catalog.functionExists
  // asks UnityFunctions, see CatalogApi.)

  @Override
  public Identifier[] listFunctions(String[] namespace) throws NoSuchNamespaceException {
    requireSchema(namespace);
    return new Identifier[0];
  }

  @Override
  public UnboundFunction loadFunction(Identifier ident) throws NoSuchFunctionException {
    throw new NoSuchFunctionException(Identifier.of(qualified(ident.namespace()), ident.name()));
  }

  // ---- schemas: folders under the catalog's folder --------------------------------------

  @Override
  public String[][] listNamespaces() {
    File[] dirs = catalogDir.listFiles(File::isDirectory);
    if (dirs == null) {
      return new String[0][];
    }
    return Arrays.stream(dirs)
        .map(File::getName)
        .sorted()
        .map(n -> new String[] {n})
        .toArray(String[][]::new);
  }

  @Override
  public String[][] listNamespaces(String[] namespace) throws NoSuchNamespaceException {
    if (namespace.length == 0) {
      return listNamespaces();
    }
    requireSchema(namespace);
    return new String[0][];
  }

  @Override
  public boolean namespaceExists(String[] namespace) {
    return namespace.length == 1 && schemaDir(namespace[0]).isDirectory();
  }

  @Override
  public Map<String, String> loadNamespaceMetadata(String[] namespace) throws NoSuchNamespaceException {
    requireSchema(namespace);
    String[] db = new String[] {database(namespace[0])};
    if (databases().namespaceExists(db)) {
      return databases().loadNamespaceMetadata(db);
    }
    return Map.of();
  }

  @Override
  public void createNamespace(String[] namespace, Map<String, String> metadata)
      throws NamespaceAlreadyExistsException {
    if (namespace.length != 1) {
      throw new IllegalArgumentException("[NO_SUCH_CATALOG_EXCEPTION] Catalog '" + namespace[0]
          + "' was not found. Please verify the catalog name and then retry the query or command again.");
    }
    if (!catalogDir.isDirectory()) {
      throw new IllegalStateException("[NO_SUCH_CATALOG_EXCEPTION] The catalog '" + name + "' was not found.");
    }
    File dir = schemaDir(namespace[0]);
    if (!dir.mkdir()) {
      throw new NamespaceAlreadyExistsException(qualified(namespace));
    }
    String[] db = new String[] {database(namespace[0])};
    if (!databases().namespaceExists(db)) {
      Map<String, String> withStorage = new java.util.HashMap<>(metadata);
      withStorage.putAll(storage(namespace[0]));
      databases().createNamespace(db, withStorage);
    }
  }

  @Override
  public void alterNamespace(String[] namespace, NamespaceChange... changes) throws NoSuchNamespaceException {
    requireSchema(namespace);
    String[] db = new String[] {database(namespace[0])};
    try {
      inner(Identifier.of(namespace, "_"));
    } catch (NoSuchNamespaceException e) {
      throw new NoSuchNamespaceException(qualified(namespace));
    }
    databases().alterNamespace(db, changes);
  }

  @Override
  public boolean dropNamespace(String[] namespace, boolean cascade)
      throws NoSuchNamespaceException, NonEmptyNamespaceException {
    if (!namespaceExists(namespace)) {
      throw new NoSuchNamespaceException(qualified(namespace));
    }
    File dir = schemaDir(namespace[0]);
    String[] db = new String[] {database(namespace[0])};
    boolean hasDb = databases().namespaceExists(db);
    String[] volumes = dir.list();
    boolean empty = (volumes == null || volumes.length == 0)
        && (!hasDb || tables().listTables(db).length == 0);
    if (!empty && !cascade) {
      throw new NonEmptyNamespaceException(qualified(namespace));
    }
    if (hasDb) {
      databases().dropNamespace(db, true);
    }
    deleteTree(dir);
    return true;
  }

  static void deleteTree(File dir) {
    try (Stream<java.nio.file.Path> walk = Files.walk(dir.toPath())) {
      List<java.nio.file.Path> all = new ArrayList<>();
      walk.sorted(Comparator.reverseOrder()).forEach(all::add);
      for (java.nio.file.Path p : all) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new IllegalStateException("localspace: cannot delete " + dir + ": " + e.getMessage(), e);
    }
  }
}
