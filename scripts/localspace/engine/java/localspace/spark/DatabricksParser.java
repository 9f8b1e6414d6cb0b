package localspace.spark;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.TableIdentifier;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.analysis.GeneralParameterizedQuery;
import org.apache.spark.sql.catalyst.analysis.NameParameterizedQuery;
import org.apache.spark.sql.catalyst.analysis.PosParameterizedQuery;
import org.apache.spark.sql.catalyst.parser.HybridParameterContext;
import org.apache.spark.sql.catalyst.parser.NamedParameterContext;
import org.apache.spark.sql.catalyst.parser.ParameterContext;
import org.apache.spark.sql.catalyst.parser.PositionalParameterContext;
import org.apache.spark.sql.catalyst.parser.ParseException;
import org.apache.spark.sql.catalyst.parser.ParserInterface;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.catalyst.plans.logical.View;
import org.apache.spark.sql.connector.catalog.CatalogManager;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.collection.immutable.Seq;

/**
 * The SQL statements a Databricks workspace accepts that Apache Spark's grammar does not:
 * {@code USE CATALOG}, {@code CREATE|DROP CATALOG}, {@code CREATE|DROP VOLUME}, {@code SHOW
 * VOLUMES}, {@code SHOW CATALOGS} of every catalog (Databricks SQL reference, "Unity Catalog" statements),
 * {@code COPY INTO} ({@link CopyInto}), {@code QUALIFY} ({@link Qualify}), functions only
 * Databricks has refused as not emulated ({@link DatabricksOnlyFunctions}), {@code CLUSTER BY AUTO}, and the governance and
 * maintenance statements of {@link GovernanceStatements} (grants, owners, tags, bloom filter
 * indexes, FSCK), which never change what a query reads. Statements about objects localspace does not emulate (external locations,
 * storage credentials, shares, connections) fail with a line that says so.
 *
 * <p>Everything else goes to the parser underneath (Delta's, then Spark's). The catalog and
 * volume statements act when parsed: {@code spark.sql} parses and runs a command in one call,
 * so the effect is the same, and no plan node of our own is needed.
 */
public class DatabricksParser implements ParserInterface {
  private static final String NAME = "(`(?:[^`]|``)+`|[A-Za-z0-9_]+)";
  private static final String QUALIFIED = "(" + NAME + "(?:\\s*\\.\\s*" + NAME + "){0,2})";
  private static final Pattern ONE_NAME = Pattern.compile(NAME);
  private static final Pattern USE_CATALOG = compile("USE\\s+CATALOG\\s+" + NAME);
  private static final Pattern CREATE_CATALOG =
      compile("CREATE\\s+CATALOG\\s+(IF\\s+NOT\\s+EXISTS\\s+)?" + NAME + "(.*)");
  private static final Pattern DROP_CATALOG =
      compile("DROP\\s+CATALOG\\s+(IF\\s+EXISTS\\s+)?" + NAME + "\\s*(CASCADE|RESTRICT)?");
  private static final Pattern CREATE_VOLUME =
      compile("CREATE\\s+(EXTERNAL\\s+)?VOLUME\\s+(IF\\s+NOT\\s+EXISTS\\s+)?" + QUALIFIED + "(.*)");
  private static final Pattern DROP_VOLUME =
      compile("DROP\\s+VOLUME\\s+(IF\\s+EXISTS\\s+)?" + QUALIFIED);
  private static final Pattern SHOW_VOLUMES =
      compile("SHOW\\s+VOLUMES(?:\\s+(?:IN|FROM)\\s+" + QUALIFIED + ")?(?:\\s+LIKE\\s+'([^']*)')?");
  private static final Pattern SHOW_VIEWS =
      compile("SHOW\\s+VIEWS(?:\\s+(?:IN|FROM)\\s+" + QUALIFIED + ")?(?:\\s+LIKE\\s+'([^']*)')?");
  private static final Pattern SHALLOW = Pattern.compile("\\sSHALLOW\\s+CLONE\\s", Pattern.CASE_INSENSITIVE);
  private static final Pattern COPY_INTO = compile("COPY\\s+INTO\\s+.*");
  private static final Pattern SHOW_CATALOGS = compile("SHOW\\s+CATALOGS(?:\\s+LIKE\\s+'([^']*)')?");
  // OPTIMIZE t [WHERE ...] ZORDER BY (a, timestamp): Delta's grammar takes only its own
  // keywords as bare column names, not TIMESTAMP or VERSION; Databricks takes any column name
  // there (SQL reference, "OPTIMIZE"; a column named timestamp is common). Delta gets the
  // columns backquoted, which names the same columns.
  private static final Pattern ZORDER =
      compile("(OPTIMIZE\\s.*?\\sZORDER\\s+BY)\\s*(?:\\(([^()]*)\\)|([^()]*?))");
  // ANALYZE TABLE t COMPUTE [DELTA] STATISTICS [NOSCAN | FOR ...]: Databricks computes
  // statistics for the optimizer (SQL reference, "ANALYZE TABLE"); Spark refuses ANALYZE for
  // catalog-plugin tables (NOT_SUPPORTED_COMMAND_FOR_V2_TABLE). Query results do not depend on
  // them, so the statement checks the table exists (and is not a view, which ANALYZE refuses)
  // and computes nothing.
  private static final Pattern ANALYZE = compile("ANALYZE\\s+TABLE\\s+" + QUALIFIED
      + "(?:\\s+PARTITION\\s*\\([^)]*\\))?\\s+COMPUTE\\s+(?:DELTA\\s+)?STATISTICS\\b.*");
  // CREATE TABLE ... CLUSTER BY AUTO: Databricks' automatic liquid clustering picks keys as the
  // table is used ("Use liquid clustering for tables"); the table starts with none, as here.
  private static final Pattern CREATE_CLUSTER_AUTO = Pattern.compile(
      "^(\\s*(?:CREATE|REPLACE)\\s.*?)\\sCLUSTER\\s+BY\\s+AUTO\\b(.*)$", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  // FOREIGN KEY (c) REFERENCES parent, without the parent's columns: its primary key
  // (Databricks SQL reference, "CONSTRAINT clause"); Spark 4.1's parser fails on the omitted list.
  private static final Pattern REFERENCES_NO_COLUMNS = Pattern.compile(
      "(\\bREFERENCES\\s+(?>" + QUALIFIED + "))(?!\\s*\\()", Pattern.CASE_INSENSITIVE);
  // ALTER TABLE t DROP PRIMARY KEY [IF EXISTS] [RESTRICT|CASCADE] | DROP FOREIGN KEY [IF EXISTS] (c, ...)
  // (Databricks SQL reference, "ALTER TABLE ... DROP CONSTRAINT"): informational keys, see
  // InformationalKeys.
  private static final Pattern DROP_KEY = compile("ALTER\\s+TABLE\\s+" + QUALIFIED
      + "\\s+DROP\\s+(PRIMARY|FOREIGN)\\s+KEY(\\s+IF\\s+EXISTS)?(?:\\s*\\([^)]*\\))?(?:\\s+(?:RESTRICT|CASCADE))?");
  // ALTER TABLE t ALTER|CHANGE [COLUMN] c SET NOT NULL: Databricks checks that no row holds a
  // NULL there and makes the column NOT NULL ("Constraints on Databricks"); Spark refuses to
  // tighten a column's nullability before Delta sees it (delta-io/delta#831), so the check and
  // the change are made here, through the table's catalog.
  private static final Pattern SET_NOT_NULL = compile("ALTER\\s+TABLE\\s+" + QUALIFIED
      + "\\s+(?:ALTER|CHANGE)\\s+(?:COLUMN\\s+)?" + NAME + "\\s+SET\\s+NOT\\s+NULL");
  // ALTER TABLE t DROP CONSTRAINT [IF EXISTS] name: an informational key's name is dropped
  // here; any other (a CHECK constraint) is Delta's.
  private static final Pattern DROP_CONSTRAINT = compile("ALTER\\s+TABLE\\s+" + QUALIFIED
      + "\\s+DROP\\s+CONSTRAINT\\s+(IF\\s+EXISTS\\s+)?" + NAME + "(?:\\s+(?:RESTRICT|CASCADE))?");
  // CREATE TABLE [IF NOT EXISTS] t LIKE source [USING ...|LOCATION ...|TBLPROPERTIES ...]
  // (Databricks SQL reference, "CREATE TABLE LIKE"): Spark's grammar takes at most
  // schema.table on both sides, so Unity Catalog names are handed over as the session-catalog
  // tables behind them, and Delta makes the table from its source's definition.
  private static final Pattern CREATE_LIKE = compile("CREATE\\s+TABLE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?"
      + QUALIFIED + "\\s+LIKE\\s+" + QUALIFIED + "(\\s.*)?");
  // CREATE SCHEMA s MANAGED LOCATION 'abfss://...' (Databricks SQL reference, "CREATE SCHEMA"):
  // where the schema's managed tables keep their files, in an external location. Tables here
  // are kept under the warehouse folder whatever the clause says, which no query can tell.
  private static final Pattern MANAGED_LOCATION = Pattern.compile(
      "^(\\s*CREATE\\s+(?:SCHEMA|DATABASE)\\s.*?)\\sMANAGED\\s+LOCATION\\s+'[^']*'(.*)$",
      Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  // LIST 'url' [WITH (CREDENTIAL c)] [LIMIT n] (Databricks SQL reference, "LIST"): the objects
  // directly in a volume or storage folder, as path, name, size (0 for a folder) and
  // modification_time (Unix milliseconds), listed through Spark's file systems.
  private static final Pattern LIST = compile("LIST\\s+'([^']*)'(?:\\s+WITH\\s*\\([^)]*\\))?(?:\\s+LIMIT\\s+(\\d+))?");
  // CREATE FUNCTION f(x INT) RETURNS INT LANGUAGE PYTHON AS $$ ... $$: a Unity Catalog Python
  // UDF (SQL reference, "CREATE FUNCTION (SQL and Python)"); Spark's grammar fails on it as if
  // the RETURN clause were missing.
  private static final Pattern PYTHON_FUNCTION = compile(
      "CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:TEMP(?:ORARY)?\\s+)?FUNCTION\\s.*?\\sLANGUAGE\\s+PYTHON\\b.*");
  private static final Pattern NOT_EMULATED = compile(
      "(?:CREATE|ALTER|DROP|DESCRIBE|DESC|SHOW)\\s+(?:OR\\s+REPLACE\\s+)?"
          + "(EXTERNAL\\s+LOCATIONS?|STORAGE\\s+CREDENTIALS?|CREDENTIALS?|CONNECTIONS?|SHARES?|RECIPIENTS?|PROVIDERS?|CLEAN\\s+ROOMS?)\\b.*");

  private final ParserInterface delegate;

  public DatabricksParser(SparkSession session, ParserInterface delegate) {
    this.delegate = delegate;
  }

  private static Pattern compile(String statement) {
    return Pattern.compile("^\\s*" + statement + "\\s*;?\\s*$", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  }

  /** The statement without leading SQL comments. */
  private static String statement(String sql) {
    String s = sql;
    while (true) {
      String t = s.stripLeading();
      if (t.startsWith("--")) {
        int nl = t.indexOf('\n');
        s = nl < 0 ? "" : t.substring(nl + 1);
      } else if (t.startsWith("/*") && t.indexOf("*/") > 0) {
        s = t.substring(t.indexOf("*/") + 2);
      } else {
        return t;
      }
    }
  }

  static String unquote(String name) {
    String n = name.trim();
    if (n.startsWith("`")) {
      n = n.substring(1, n.length() - 1).replace("``", "`");
    }
    return n.toLowerCase(Locale.ROOT);
  }

  /** "a, s.timestamp" as "`a`, `s`.`timestamp`"; null when an item is not a column name. */
  private static String backquoted(String columns) {
    List<String> items = new ArrayList<>();
    for (String item : columns.split(",")) {
      if (!item.trim().matches(QUALIFIED)) {
        return null;
      }
      List<String> names = new ArrayList<>();
      Matcher m = ONE_NAME.matcher(item);
      while (m.find()) {
        names.add(m.group(1).startsWith("`") ? m.group(1) : "`" + m.group(1) + "`");
      }
      items.add(String.join(".", names));
    }
    return String.join(", ", items);
  }

  static List<String> parts(String qualified) {
    List<String> out = new ArrayList<>();
    Matcher m = ONE_NAME.matcher(qualified);
    while (m.find()) {
      out.add(unquote(m.group(1)));
    }
    return out;
  }

  private static LogicalPlan done() {
    Seq<org.apache.spark.sql.catalyst.expressions.Attribute> noColumns =
        scala.jdk.javaapi.CollectionConverters.asScala(
            new ArrayList<org.apache.spark.sql.catalyst.expressions.Attribute>()).toList();
    Seq<org.apache.spark.sql.catalyst.InternalRow> noRows =
        scala.jdk.javaapi.CollectionConverters.asScala(
            new ArrayList<org.apache.spark.sql.catalyst.InternalRow>()).toList();
    return new LocalRelation(noColumns, noRows, false, Option.empty());
  }

  private static CatalogManager catalogs() {
    return org.apache.spark.sql.classic.SparkSession.active().sessionState().catalogManager();
  }

  /** catalog, schema, name: a volume name resolved against the current catalog and schema. */
  static String[] resolve(List<String> p) {
    CatalogManager cm = catalogs();
    String catalog = p.size() == 3 ? p.get(0) : cm.currentCatalog().name();
    String schema = p.size() >= 2 ? p.get(p.size() - 2) : cm.currentNamespace()[0];
    return new String[] {catalog, schema, p.get(p.size() - 1)};
  }

  /** The sub-folders of {@code dir} whose names match a SHOW ... LIKE pattern, sorted. */
  private static List<String> folders(File dir, String like) {
    List<String> out = new ArrayList<>();
    for (String n : Catalogs.folders(dir)) {
      if (like == null || n.matches(like.replace("*", ".*").replace("%", ".*"))) {
        out.add(n);
      }
    }
    return out;
  }

  private LogicalPlan listed(String url, int limit) throws ParseException {
    org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(url);
    org.apache.hadoop.fs.FileStatus[] found;
    try {
      org.apache.hadoop.fs.FileSystem fs = folder.getFileSystem(
          org.apache.spark.sql.classic.SparkSession.active().sessionState().newHadoopConf());
      found = fs.listStatus(folder);
    } catch (java.io.IOException e) {
      throw error(e.getMessage());
    }
    Arrays.sort(found, java.util.Comparator.comparing(f -> f.getPath().getName()));
    String base = url.endsWith("/") ? url : url + "/";
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < found.length && i < limit; i++) {
      org.apache.hadoop.fs.FileStatus f = found[i];
      String name = f.getPath().getName() + (f.isDirectory() ? "/" : "");
      rows.append(rows.length() == 0 ? "" : ", ").append("(").append(literal(base + name)).append(", ")
          .append(literal(name)).append(", ").append(f.isDirectory() ? 0 : f.getLen()).append("L, ")
          .append(f.getModificationTime()).append("L)");
    }
    return delegate.parsePlan(rows.length() == 0
        ? "SELECT CAST(NULL AS STRING) AS path, CAST(NULL AS STRING) AS name, CAST(NULL AS BIGINT) AS size, "
            + "CAST(NULL AS BIGINT) AS modification_time WHERE false"
        : "SELECT * FROM VALUES " + rows + " AS listed(path, name, size, modification_time)");
  }

  private static String literal(String text) {
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static RuntimeException error(String message) {
    return new IllegalArgumentException(message);
  }

  @Override
  public LogicalPlan parsePlan(String sqlText) throws ParseException {
    LogicalPlan handled = databricksOnly(sqlText);
    return handled != null ? handled : parsed(delegate.parsePlan(spelledOut(sqlText)));
  }

  @Override
  public LogicalPlan parsePlanWithParameters(String sqlText, ParameterContext parameters) throws ParseException {
    LogicalPlan handled = databricksOnly(sqlText);
    return handled != null ? handled : parsed(withParameters(delegate.parsePlan(spelledOut(sqlText)), parameters));
  }

  /** The text with the clauses only Databricks has written as Spark's grammar takes them. */
  private static String spelledOut(String sqlText) {
    return TimeTravelSuffix.moved(Qualify.moved(sqlText));
  }

  /** What Spark's parser gave, with the names and operators only Databricks has made Spark's. */
  private static LogicalPlan parsed(LogicalPlan plan) {
    return JsonPaths.atParse(UnityViews.atParse(UnityFunctions.atParse(DatabricksOnlyFunctions.atParse(plan))));
  }

  /**
   * {@code spark.sql("SELECT * FROM t WHERE id = :id", args={"id": 1})}, as on Databricks
   * ("Parameter markers", https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-parameter-marker).
   * Delta's parser drops the parameters when it hands a statement that is not Delta's own to
   * Spark's (UNBOUND_SQL_PARAMETER), so the markers are parsed as they stand and bound by the
   * analyzer (Spark's BindParameters), from the plan Spark's own {@code sql(text, args)} also
   * builds for them.
   */
  private static LogicalPlan withParameters(LogicalPlan plan, ParameterContext parameters) {
    if (parameters instanceof NamedParameterContext && !((NamedParameterContext) parameters).params().isEmpty()) {
      var named = ((NamedParameterContext) parameters).params();
      return new NameParameterizedQuery(plan, named.keys().toSeq(), named.values().toSeq());
    }
    if (parameters instanceof PositionalParameterContext && !((PositionalParameterContext) parameters).params().isEmpty()) {
      return new PosParameterizedQuery(plan, ((PositionalParameterContext) parameters).params());
    }
    if (parameters instanceof HybridParameterContext && !((HybridParameterContext) parameters).args().isEmpty()) {
      HybridParameterContext hybrid = (HybridParameterContext) parameters;
      return new GeneralParameterizedQuery(plan, hybrid.args(), hybrid.paramNames());
    }
    return plan;
  }

  private LogicalPlan databricksOnly(String sqlText) throws ParseException {
    String sql = statement(sqlText);
    Matcher m;
    if ((m = USE_CATALOG.matcher(sql)).matches()) {
      return delegate.parsePlan("SET CATALOG `" + unquote(m.group(1)) + "`");
    }
    if ((m = CREATE_CATALOG.matcher(sql)).matches()) {
      String name = unquote(m.group(2));
      File dir = new File(Catalogs.volumesRoot(), name);
      if (dir.isDirectory() && m.group(1) == null) {
        throw error("[CATALOG_ALREADY_EXISTS] Catalog '" + name + "' already exists.");
      }
      new File(dir, "default").mkdirs();
      Catalogs.register(name);
      return done();
    }
    if ((m = DROP_CATALOG.matcher(sql)).matches()) {
      String name = unquote(m.group(2));
      File dir = new File(Catalogs.volumesRoot(), name);
      if (!dir.isDirectory()) {
        if (m.group(1) != null) {
          return done();
        }
        throw error("[NO_SUCH_CATALOG_EXCEPTION] Catalog '" + name + "' was not found.");
      }
      boolean cascade = m.group(3) != null && m.group(3).equalsIgnoreCase("CASCADE");
      String[] schemas = dir.list();
      boolean onlyDefault = schemas == null || Arrays.stream(schemas).allMatch("default"::equals);
      if (!cascade && !onlyDefault) {
        throw error("[SCHEMA_NOT_EMPTY] Catalog '" + name + "' is not empty; use DROP CATALOG " + name + " CASCADE.");
      }
      for (String schema : schemas == null ? new String[0] : schemas) {
        org.apache.spark.sql.classic.SparkSession.active()
            .sql("DROP SCHEMA IF EXISTS `" + name + "`.`" + schema + "` CASCADE");
      }
      UnityCatalog.deleteTree(dir);
      return done();
    }
    if ((m = CREATE_VOLUME.matcher(sql)).matches()) {
      if (m.group(1) != null || m.group(m.groupCount()).toUpperCase(Locale.ROOT).contains("LOCATION")) {
        throw error("localspace does not emulate external volumes; create a managed volume "
            + "(README section 'What each engine does')");
      }
      String[] v = resolve(parts(m.group(3)));
      File schema = new File(new File(Catalogs.volumesRoot(), v[0]), v[1]);
      if (!schema.isDirectory()) {
        throw error("[SCHEMA_NOT_FOUND] The schema `" + v[0] + "`.`" + v[1] + "` cannot be found.");
      }
      File dir = new File(schema, v[2]);
      if (!dir.mkdir() && m.group(2) == null) {
        throw error("[VOLUME_ALREADY_EXISTS] Volume `" + v[0] + "`.`" + v[1] + "`.`" + v[2] + "` already exists.");
      }
      return done();
    }
    if ((m = DROP_VOLUME.matcher(sql)).matches()) {
      String[] v = resolve(parts(m.group(2)));
      File dir = new File(new File(new File(Catalogs.volumesRoot(), v[0]), v[1]), v[2]);
      if (dir.isDirectory()) {
        UnityCatalog.deleteTree(dir);
      } else if (m.group(1) == null) {
        throw error("[VOLUME_NOT_FOUND] Volume `" + v[0] + "`.`" + v[1] + "`.`" + v[2] + "` does not exist.");
      }
      return done();
    }
    if ((m = SHOW_VOLUMES.matcher(sql)).matches()) {
      CatalogManager cm = catalogs();
      List<String> p = m.group(1) == null ? List.of() : parts(m.group(1));
      String catalog = p.size() == 2 ? p.get(0) : cm.currentCatalog().name();
      String schema = p.isEmpty() ? cm.currentNamespace()[0] : p.get(p.size() - 1);
      File dir = new File(new File(Catalogs.volumesRoot(), catalog), schema);
      if (!dir.isDirectory()) {
        throw error("[SCHEMA_NOT_FOUND] The schema `" + catalog + "`.`" + schema + "` cannot be found.");
      }
      StringBuilder rows = new StringBuilder();
      for (String n : folders(dir, m.group(m.groupCount()))) {
        rows.append(rows.length() == 0 ? "" : ", ").append("('").append(schema).append("', '").append(n).append("')");
      }
      if (rows.length() == 0) {
        return delegate.parsePlan("SELECT CAST(NULL AS STRING) AS database_name, CAST(NULL AS STRING) AS volume_name WHERE false");
      }
      return delegate.parsePlan("SELECT * FROM VALUES " + rows + " AS volumes(database_name, volume_name) ORDER BY volume_name");
    }
    if ((m = SHOW_VIEWS.matcher(sql)).matches()) {
      // Views of a Unity Catalog schema live in the session database behind it (UnityViews):
      // list them there, and answer with the schema's own name.
      CatalogManager cm = catalogs();
      List<String> p = m.group(1) == null ? List.of() : parts(m.group(1));
      String catalog = p.size() == 2 ? p.get(0) : cm.currentCatalog().name();
      String schema = p.isEmpty() ? cm.currentNamespace()[0] : p.get(p.size() - 1);
      if (!cm.isCatalogRegistered(catalog) || !(cm.catalog(catalog) instanceof UnityCatalog)) {
        return null;
      }
      if (!new File(new File(Catalogs.volumesRoot(), catalog), schema).isDirectory()) {
        throw error("[SCHEMA_NOT_FOUND] The schema `" + catalog + "`.`" + schema + "` cannot be found.");
      }
      String like = m.group(m.groupCount()) == null ? "" : " LIKE '" + m.group(m.groupCount()) + "'";
      StringBuilder rows = new StringBuilder();
      for (org.apache.spark.sql.Row row : org.apache.spark.sql.classic.SparkSession.active()
          .sql("SHOW VIEWS IN spark_catalog.`" + catalog + UnityCatalog.SEPARATOR + schema + "`" + like)
          .collectAsList()) {
        boolean temporary = row.getBoolean(2);
        rows.append(rows.length() == 0 ? "" : ", ").append("('").append(temporary ? "" : schema)
            .append("', '").append(row.getString(1)).append("', ").append(temporary).append(")");
      }
      return delegate.parsePlan(rows.length() == 0
          ? "SELECT CAST(NULL AS STRING) AS namespace, CAST(NULL AS STRING) AS viewName, false AS isTemporary WHERE false"
          : "SELECT * FROM VALUES " + rows + " AS views(namespace, viewName, isTemporary) ORDER BY viewName");
    }
    if ((m = SHOW_CATALOGS.matcher(sql)).matches()) {
      // The catalogs that exist (folders), not only those Spark has loaded, and never
      // Spark's own spark_catalog.
      StringBuilder rows = new StringBuilder();
      for (String n : folders(Catalogs.volumesRoot(), m.group(1))) {
        rows.append(rows.length() == 0 ? "" : ", ").append("('").append(n).append("')");
      }
      return delegate.parsePlan(rows.length() == 0
          ? "SELECT CAST(NULL AS STRING) AS catalog WHERE false"
          : "SELECT * FROM VALUES " + rows + " AS catalogs(catalog)");
    }
    if ((m = DeltaStatements.SHOW_CREATE.matcher(sql)).matches()) {
      LogicalPlan shown = DeltaStatements.showCreate(m);
      if (shown != null) {
        return shown;
      }
    }
    if ((m = DeltaStatements.CLONE.matcher(sql)).matches() && !SHALLOW.matcher(sql).find()) {
      DeltaStatements.deepClone(m);
      return done();
    }
    if ((m = ANALYZE.matcher(sql)).matches()) {
      LogicalPlan relation = org.apache.spark.sql.classic.SparkSession.active().table(m.group(1))
          .queryExecution().analyzed();  // TABLE_OR_VIEW_NOT_FOUND
      while (relation instanceof SubqueryAlias) {
        relation = ((SubqueryAlias) relation).child();
      }
      if (relation instanceof View) {
        throw error("[UNSUPPORTED_FEATURE.ANALYZE_VIEW] The feature is not supported: The ANALYZE TABLE command does not support views.");
      }
      return done();
    }
    if ((m = ZORDER.matcher(sql)).matches()) {
      String columns = backquoted(m.group(2) != null ? m.group(2) : m.group(3));
      if (columns != null) {
        return delegate.parsePlan(m.group(1) + " (" + columns + ")");
      }
    }
    if (COPY_INTO.matcher(sql).matches()) {
      return CopyInto.run(sql).logicalPlan();
    }
    if ((m = GovernanceStatements.GRANT.matcher(sql)).matches()) {
      GovernanceStatements.grant(m);
      return done();
    }
    if ((m = GovernanceStatements.REVOKE.matcher(sql)).matches()) {
      GovernanceStatements.revoke(m);
      return done();
    }
    if (GovernanceStatements.OTHER_GRANT.matcher(sql).matches()) {
      return done();
    }
    if ((m = GovernanceStatements.SHOW_GRANTS.matcher(sql)).matches()) {
      return GovernanceStatements.showGrants(m);
    }
    if ((m = GovernanceStatements.OWNER.matcher(sql)).matches()
        || (m = GovernanceStatements.TAGS.matcher(sql)).matches()) {
      GovernanceStatements.accept(m, false);
      return done();
    }
    if ((m = GovernanceStatements.TAG_ON.matcher(sql)).matches()) {
      if (m.group(1) != null) {  // a column's tag names table.column: not checked
        GovernanceStatements.accept(m, false);
      }
      return done();
    }
    if ((m = GovernanceStatements.BLOOM.matcher(sql)).matches()
        || (m = GovernanceStatements.CLUSTER_AUTO.matcher(sql)).matches()) {
      GovernanceStatements.accept(m, true);
      return done();
    }
    if ((m = GovernanceStatements.FSCK.matcher(sql)).matches()) {
      return GovernanceStatements.fsck(m);
    }
    if ((m = SET_NOT_NULL.matcher(sql)).matches()) {
      DeltaStatements.setNotNull(m.group(1), unquote(m.group(m.groupCount())));
      return done();
    }
    if ((m = DROP_KEY.matcher(sql)).matches()) {
      String table = GovernanceStatements.existing("TABLE", m.group(1));
      String kind = m.group(4).toUpperCase(Locale.ROOT) + " KEY";
      if (!InformationalKeys.droppedKind(table, kind) && m.group(5) == null) {
        throw error("Table " + table + " has no " + kind.toLowerCase(Locale.ROOT)
            + "; use DROP " + kind + " IF EXISTS to drop it only if there is one.");
      }
      return done();
    }
    if ((m = DROP_CONSTRAINT.matcher(sql)).matches()) {
      String table = GovernanceStatements.existing("TABLE", m.group(1));
      String constraint = unquote(m.group(m.groupCount()));
      if (InformationalKeys.dropped(table, constraint)) {
        return done();
      }
      if (m.group(4) == null && !DeltaStatements.hasCheck(m.group(1), constraint)) {
        throw error("[DELTA_CONSTRAINT_DOES_NOT_EXIST] Cannot drop nonexistent constraint " + constraint
            + " from table " + table + ". To avoid throwing an error, provide the parameter IF EXISTS.");
      }
    }
    if ((m = REFERENCES_NO_COLUMNS.matcher(sql)).find()) {
      List<String> columns = InformationalKeys.primaryKey(GovernanceStatements.existing("TABLE", m.group(2)));
      return parsePlan(sql.substring(0, m.end()) + " (" + backquoted(String.join(", ", columns)) + ")"
          + sql.substring(m.end()));
    }
    if ((m = LIST.matcher(sql)).matches()) {
      return listed(m.group(1), m.group(2) == null ? Integer.MAX_VALUE : Integer.parseInt(m.group(2)));
    }
    if ((m = MANAGED_LOCATION.matcher(sql)).matches()) {
      return parsePlan(m.group(1) + m.group(2));
    }
    if ((m = CREATE_CLUSTER_AUTO.matcher(sql)).matches()) {
      return parsePlan(m.group(1) + m.group(2));
    }
    if ((m = CREATE_LIKE.matcher(sql)).matches()) {
      List<String> target = UnityViews.sessionName(parts(m.group(2)), true);
      List<String> source = UnityViews.sessionName(parts(m.group(5)), true);
      if (target != null || source != null) {
        return delegate.parsePlan("CREATE TABLE " + (m.group(1) == null ? "" : "IF NOT EXISTS ")
            + (target == null ? m.group(2) : "`" + target.get(1) + "`.`" + target.get(2) + "`") + " LIKE "
            + (source == null ? m.group(5) : "`" + source.get(1) + "`.`" + source.get(2) + "`")
            + (m.group(8) == null ? "" : m.group(8)));
      }
    }
    if (PYTHON_FUNCTION.matcher(sql).matches()) {
      throw NotEmulated.refusal("Python functions defined in SQL (LANGUAGE PYTHON); register the function "
          + "in the notebook with spark.udf.register(name, f, returnType)");
    }
    if ((m = NOT_EMULATED.matcher(sql)).matches()) {
      throw error("localspace does not emulate " + m.group(1).toLowerCase(Locale.ROOT).replaceAll("\\s+", " ")
          + " (README section 'What each engine does')");
    }
    return null;
  }

  @Override
  public Expression parseExpression(String sqlText) throws ParseException {
    return JsonPaths.atParse(DatabricksOnlyFunctions.atParse(delegate.parseExpression(sqlText)));
  }

  /**
   * A table name as Spark's older APIs take it (at most database.table). Delta's table
   * operations ({@code DeltaTable.forName(...)}, {@code detail()}, {@code vacuum()}, {@code
   * restoreToVersion()}) parse the table's name this way, so {@code dev.sbit.users}, and
   * {@code sbit.users} or {@code users} in the current Unity Catalog catalog and schema (as
   * Databricks resolves partial names), name the session-catalog table behind it (see {@link
   * UnityCatalog}); a temporary view's name stays as it is.
   */
  @Override
  public TableIdentifier parseTableIdentifier(String sqlText) throws ParseException {
    List<String> parts = scala.jdk.javaapi.CollectionConverters.asJava(delegate.parseMultipartIdentifier(sqlText));
    boolean tempView = parts.size() == 1
        && org.apache.spark.sql.classic.SparkSession.active().sessionState().catalog().getTempView(parts.get(0)).isDefined();
    List<String> names = tempView ? null : UnityViews.sessionName(parts, false);
    if (names != null) {
      return new TableIdentifier(names.get(2), Option.apply(names.get(1)), Option.apply(names.get(0)));
    }
    return delegate.parseTableIdentifier(sqlText);
  }

  @Override
  public FunctionIdentifier parseFunctionIdentifier(String sqlText) throws ParseException {
    return delegate.parseFunctionIdentifier(sqlText);
  }

  @Override
  public Seq<String> parseMultipartIdentifier(String sqlText) throws ParseException {
    return delegate.parseMultipartIdentifier(sqlText);
  }

  @Override
  public LogicalPlan parseQuery(String sqlText) throws ParseException {
    // a view's text, as it is expanded
    return JsonPaths.atParse(UnityFunctions.atParse(delegate.parseQuery(spelledOut(sqlText))));
  }

  @Override
  public StructType parseRoutineParam(String sqlText) throws ParseException {
    return delegate.parseRoutineParam(sqlText);
  }

  @Override
  public StructType parseTableSchema(String sqlText) throws ParseException {
    return delegate.parseTableSchema(sqlText);
  }

  @Override
  public DataType parseDataType(String sqlText) throws ParseException {
    return delegate.parseDataType(sqlText);
  }
}
