package localspace.spark;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Statements that govern or maintain Unity Catalog objects without changing what a query
 * reads, which setup notebooks of real pipelines run and open-source Spark cannot parse:
 *
 * <ul>
 *   <li>{@code GRANT}, {@code REVOKE} and {@code SHOW GRANTS [principal] ON object}
 *       (Databricks SQL reference, "SHOW GRANTS": columns principal, actionType, objectType,
 *       objectKey; privileges inherited from the schema and catalog are listed too). localspace
 *       has one user who may do everything, so grants are remembered to be shown, never
 *       enforced.
 *   <li>{@code ALTER TABLE|VIEW|SCHEMA|CATALOG|VOLUME x [SET] OWNER TO principal}, {@code
 *       ALTER ... [ALTER COLUMN c] SET|UNSET TAGS (...)} and {@code SET|UNSET TAG ON ...}:
 *       accepted once the object exists; owners and tags are not kept.
 *   <li>{@code CREATE|DROP BLOOMFILTER INDEX ON [TABLE] t FOR COLUMNS (...)}: an index only
 *       speeds up reads, so the table must exist and nothing else happens.
 *   <li>{@code FSCK REPAIR TABLE t [DRY RUN]} ("FSCK REPAIR TABLE": removes the entries of data
 *       files that are gone; DRY RUN lists them as dataFilePath, dataFileMissing). A table whose
 *       files are all there needs nothing; one with missing files is refused as not emulated.
 *   <li>{@code ALTER TABLE t CLUSTER BY AUTO}: automatic liquid clustering chooses keys as the
 *       table is read; localspace chooses none (DESCRIBE DETAIL shows no clustering columns,
 *       as on a new table on Databricks).
 * </ul>
 */
final class GovernanceStatements {
  private GovernanceStatements() {}

  private static final String NAME = "(?:`(?:[^`]|``)+`|[A-Za-z0-9_]+)";
  private static final String QUALIFIED = "(" + NAME + "(?:\\s*\\.\\s*" + NAME + "){0,2})";
  private static final String PRINCIPAL = "(`(?:[^`]|``)+`|[^\\s;`]+)";
  private static final String SECURABLE =
      "(CATALOG|SCHEMA|DATABASE|TABLE|MATERIALIZED\\s+VIEW|VIEW|VOLUME|FUNCTION)";

  static final Pattern GRANT = compile("GRANT\\s+(.+?)\\s+ON\\s+(?:" + SECURABLE + "\\s+)?"
      + QUALIFIED + "\\s+TO\\s+" + PRINCIPAL);
  static final Pattern REVOKE = compile("REVOKE\\s+(.+?)\\s+ON\\s+(?:" + SECURABLE + "\\s+)?"
      + QUALIFIED + "\\s+FROM\\s+" + PRINCIPAL);
  /** GRANT and REVOKE on what has no name here (ANY FILE, METASTORE, SHARE ...): accepted. */
  static final Pattern OTHER_GRANT = compile("(GRANT|REVOKE)\\s+.*");
  static final Pattern SHOW_GRANTS = compile("SHOW\\s+GRANTS?(?:\\s+" + PRINCIPAL + ")??\\s+ON\\s+(?:"
      + SECURABLE + "\\s+)?" + QUALIFIED);
  static final Pattern OWNER = compile("ALTER\\s+" + SECURABLE + "\\s+" + QUALIFIED
      + "\\s+(?:SET\\s+)?OWNER\\s+TO\\s+" + PRINCIPAL);
  static final Pattern TAGS = compile("ALTER\\s+" + SECURABLE + "\\s+" + QUALIFIED
      + "(?:\\s+ALTER\\s+COLUMN\\s+" + NAME + ")?\\s+(?:SET|UNSET)\\s+TAGS\\s*\\(.*\\)");
  static final Pattern TAG_ON = compile("(?:SET|UNSET)\\s+TAG\\s+ON\\s+(?:COLUMN|" + SECURABLE + ")\\s+"
      + QUALIFIED + "\\s.*");
  static final Pattern BLOOM = compile("(?:CREATE|DROP)\\s+BLOOMFILTER\\s+INDEX\\s+ON\\s+(?:TABLE\\s+)?"
      + QUALIFIED + "(?:\\s+FOR\\s+COLUMNS\\s*\\(.*\\))?(?:\\s+OPTIONS\\s*\\(.*\\))?");
  static final Pattern FSCK = compile("FSCK\\s+REPAIR\\s+TABLE\\s+" + QUALIFIED + "(\\s+DRY\\s+RUN)?");
  static final Pattern CLUSTER_AUTO = compile("ALTER\\s+TABLE\\s+" + QUALIFIED + "\\s+CLUSTER\\s+BY\\s+AUTO");

  /** principal, actionType, objectType, objectKey of each grant made in this JVM. */
  private static final List<String[]> GRANTS = new ArrayList<>();

  private static Pattern compile(String statement) {
    return Pattern.compile("^\\s*" + statement + "\\s*;?\\s*$", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  }

  private static SparkSession spark() {
    return SparkSession.active();
  }

  private static String principal(String text) {
    String p = text.trim();
    return p.startsWith("`") ? p.substring(1, p.length() - 1).replace("``", "`") : p;
  }

  /** The objectType SHOW GRANTS names ("DATABASE" for a schema, as in its reference's example). */
  private static String objectType(String securable) {
    String type = securable == null ? "TABLE" : securable.toUpperCase(Locale.ROOT).replaceAll("\\s+", " ");
    switch (type) {
      case "SCHEMA":
      case "DATABASE":
        return "DATABASE";
      case "VIEW":
      case "MATERIALIZED VIEW":
        return "TABLE";
      default:
        return type;
    }
  }

  /**
   * The object's full name, once it is known to exist: the error Databricks gives for a
   * missing one (TABLE_OR_VIEW_NOT_FOUND, SCHEMA_NOT_FOUND, NO_SUCH_CATALOG_EXCEPTION)
   * otherwise.
   */
  static String existing(String type, String qualified) {
    List<String> parts = DatabricksParser.parts(qualified);
    switch (type) {
      case "CATALOG":
        if (!new File(Catalogs.volumesRoot(), parts.get(0)).isDirectory()
            && !spark().sessionState().catalogManager().isCatalogRegistered(parts.get(0))) {
          throw new IllegalArgumentException("[NO_SUCH_CATALOG_EXCEPTION] Catalog '" + parts.get(0) + "' was not found.");
        }
        return parts.get(0);
      case "DATABASE":
        spark().sql("DESCRIBE SCHEMA " + qualified).collect();  // SCHEMA_NOT_FOUND
        String catalog = parts.size() == 2 ? parts.get(0) : spark().sessionState().catalogManager().currentCatalog().name();
        return catalog + "." + parts.get(parts.size() - 1);
      case "TABLE":
        spark().table(qualified).schema();  // TABLE_OR_VIEW_NOT_FOUND
        return String.join(".", DatabricksParser.resolve(parts));
      case "VOLUME":
        String[] v = DatabricksParser.resolve(parts);
        if (!new File(new File(new File(Catalogs.volumesRoot(), v[0]), v[1]), v[2]).isDirectory()) {
          throw new IllegalArgumentException("[VOLUME_NOT_FOUND] Volume `" + String.join("`.`", v) + "` does not exist.");
        }
        return String.join(".", v);
      default:
        return String.join(".", DatabricksParser.resolve(parts));
    }
  }

  private static List<String> privileges(String list) {
    List<String> out = new ArrayList<>();
    for (String p : list.split(",")) {
      out.add(p.trim().toUpperCase(Locale.ROOT).replaceAll("\\s+", " "));
    }
    return out;
  }

  static synchronized void grant(Matcher m) {
    String type = objectType(m.group(2));
    String key = existing(type, m.group(3));
    String who = principal(m.group(4));
    for (String action : privileges(m.group(1))) {
      if (GRANTS.stream().noneMatch(g -> g[0].equals(who) && g[1].equals(action) && g[3].equals(key))) {
        GRANTS.add(new String[] {who, action, type, key});
      }
    }
  }

  static synchronized void revoke(Matcher m) {
    String type = objectType(m.group(2));
    String key = existing(type, m.group(3));
    String who = principal(m.group(4));
    List<String> actions = privileges(m.group(1));
    GRANTS.removeIf(g -> g[0].equals(who) && g[3].equals(key)
        && (actions.contains(g[1]) || actions.contains("ALL PRIVILEGES")));
  }

  /** The grants on the object and those it inherits from its schema and catalog. */
  static synchronized LogicalPlan showGrants(Matcher m) {
    String type = objectType(m.group(2));
    String key = existing(type, m.group(3));
    String who = m.group(1) == null ? null : principal(m.group(1));
    List<String> keys = new ArrayList<>(List.of(key));
    String[] names = key.split("\\.");
    for (int i = names.length - 1; i > 0; i--) {
      keys.add(String.join(".", java.util.Arrays.copyOf(names, i)));
    }
    List<Row> rows = new ArrayList<>();
    for (String k : keys) {
      for (String[] g : GRANTS) {
        if (g[3].equals(k) && (who == null || g[0].equals(who))) {
          rows.add(RowFactory.create((Object[]) g));
        }
      }
    }
    StructType schema = StructType.fromDDL(
        "principal STRING NOT NULL, actionType STRING NOT NULL, objectType STRING, objectKey STRING");
    return spark().createDataFrame(rows, schema).logicalPlan();
  }

  /** OWNER TO, tags, bloom filter indexes and CLUSTER BY AUTO: accepted when the object exists. */
  static void accept(Matcher m, boolean namesATable) {
    if (namesATable) {
      existing("TABLE", m.group(1));
    } else {
      existing(objectType(m.group(1)), m.group(2));
    }
  }

  /** FSCK REPAIR TABLE: nothing to repair when every data file of the table is there. */
  static LogicalPlan fsck(Matcher m) {
    List<Row> missing = new ArrayList<>();
    for (String file : spark().table(m.group(1)).inputFiles()) {
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(file);
      try {
        if (!path.getFileSystem(spark().sessionState().newHadoopConf()).exists(path)) {
          missing.add(RowFactory.create(file, true));
        }
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
    if (!missing.isEmpty() && m.group(2) == null) {
      throw NotEmulated.refusal("FSCK REPAIR TABLE of a table whose data files are missing ("
          + missing.size() + " missing)");
    }
    return spark().createDataFrame(missing, StructType.fromDDL("dataFilePath STRING, dataFileMissing BOOLEAN"))
        .logicalPlan();
  }
}
