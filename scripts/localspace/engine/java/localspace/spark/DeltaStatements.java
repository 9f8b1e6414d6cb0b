package localspace.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Statements about Delta tables that Databricks answers and open-source Delta does not:
 *
 * <ul>
 *   <li>{@code SHOW CREATE TABLE t} of a Delta table (Delta refuses it; Databricks SQL
 *       reference, "SHOW CREATE TABLE",
 *       https://docs.databricks.com/sql/language-manual/sql-ref-syntax-aux-show-create-table.html):
 *       one {@code createtab_stmt} row, the columns with their comments, NOT NULL, generated
 *       and identity definitions, {@code USING delta}, partitioning or clustering, the comment
 *       and the table properties.
 *   <li>{@code CREATE [OR REPLACE] TABLE t [DEEP] CLONE s [VERSION|TIMESTAMP AS OF x]
 *       [TBLPROPERTIES (...)]} (Databricks: "CREATE TABLE CLONE",
 *       https://docs.databricks.com/sql/language-manual/delta-clone.html; a clone is deep
 *       unless SHALLOW). Delta has only SHALLOW CLONE, so a deep clone is a copy: the data,
 *       partitioning or clustering, comment and the source's table properties, written as
 *       one {@code CREATE TABLE ... AS SELECT} (its history says so, and CHECK constraints,
 *       generated and identity columns are not carried over). {@code LOCATION} is an external
 *       table, which localspace does not emulate.
 *   <li>{@code ALTER TABLE t ALTER|CHANGE [COLUMN] c SET NOT NULL} ("Constraints on
 *       Databricks": the existing rows are checked, then the column is NOT NULL). Spark and
 *       Delta refuse to tighten nullability (delta-io/delta#831), so the check runs here and
 *       the new schema is committed to the table's log as a CHANGE COLUMN, as Databricks
 *       records it; Delta then enforces NOT NULL on every write.
 * </ul>
 */
final class DeltaStatements {
  private DeltaStatements() {}

  private static final String NAME = "(?:`(?:[^`]|``)+`|[A-Za-z0-9_]+)";
  private static final String QUALIFIED = "(" + NAME + "(?:\\s*\\.\\s*" + NAME + "){0,2})";
  static final Pattern SHOW_CREATE = compile("SHOW\\s+CREATE\\s+TABLE\\s+" + QUALIFIED + "(\\s+AS\\s+SERDE)?");
  static final Pattern CLONE = compile("(CREATE\\s+OR\\s+REPLACE|CREATE|REPLACE)\\s+TABLE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?"
      + QUALIFIED + "\\s+(?:DEEP\\s+)?CLONE\\s+" + QUALIFIED
      + "(\\s+(?:VERSION|TIMESTAMP)\\s+AS\\s+OF\\s+(?:'[^']*'|\\S+))?"
      + "(\\s+TBLPROPERTIES\\s*\\((.*?)\\))?(\\s+LOCATION\\s+.*)?");
  // Properties Delta sets itself (protocol, features, column ids) and constraints, which a
  // CREATE TABLE statement cannot set.
  private static final Pattern INTERNAL = Pattern.compile(
      "delta\\.(minReaderVersion|minWriterVersion|feature\\..*|columnMapping\\.maxColumnId|rowTracking\\..*|constraints\\..*)");

  private static Pattern compile(String statement) {
    return Pattern.compile("^\\s*" + statement + "\\s*;?\\s*$", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  }

  private static SparkSession spark() {
    return SparkSession.active();
  }

  private static String literal(String text) {
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static String quoted(String name) {
    return name.matches("[A-Za-z_][A-Za-z0-9_]*") ? name : "`" + name.replace("`", "``") + "`";
  }

  /** The Delta table's DESCRIBE DETAIL row, or null when the name is not a Delta table. */
  private static Row detail(String table) {
    try {
      Row row = spark().sql("DESCRIBE DETAIL " + table).first();
      return "delta".equalsIgnoreCase(row.getAs("format")) ? row : null;
    } catch (Exception notDelta) {
      return null;  // a view, or no such table: Spark answers (or refuses) as usual
    }
  }

  private static List<String> columnList(Row detail, String field) {
    List<String> out = new ArrayList<>();
    scala.collection.Seq<String> columns = detail.getAs(field);
    if (columns != null) {
      for (String c : scala.jdk.javaapi.CollectionConverters.asJava(columns)) {
        out.add(quoted(c));
      }
    }
    return out;
  }

  /** PARTITIONED BY, CLUSTER BY and COMMENT clauses of the table DESCRIBE DETAIL describes. */
  private static String layout(Row detail) {
    StringBuilder out = new StringBuilder();
    List<String> partitions = columnList(detail, "partitionColumns");
    List<String> clustering = columnList(detail, "clusteringColumns");
    if (!partitions.isEmpty()) {
      out.append("PARTITIONED BY (").append(String.join(", ", partitions)).append(")\n");
    }
    if (!clustering.isEmpty()) {
      out.append("CLUSTER BY (").append(String.join(", ", clustering)).append(")\n");
    }
    String comment = detail.getAs("description");
    if (comment != null) {
      out.append("COMMENT ").append(literal(comment)).append('\n');
    }
    return out.toString();
  }

  private static List<String[]> properties(String table) {
    List<String[]> out = new ArrayList<>();
    for (Row row : spark().sql("SHOW TBLPROPERTIES " + table).collectAsList()) {
      out.add(new String[] {row.getString(0), row.getString(1)});
    }
    return out;
  }

  /** SHOW CREATE TABLE of a Delta table; null for anything else (the parser underneath answers). */
  static LogicalPlan showCreate(Matcher m) {
    if (m.group(2) != null) {
      return null;
    }
    String table = m.group(1);
    Row detail = detail(table);
    if (detail == null) {
      return null;
    }
    StructType schema = spark().table(table).schema();
    StringBuilder out = new StringBuilder("CREATE TABLE ").append(detail.<String>getAs("name")).append(" (\n");
    StructField[] fields = schema.fields();
    for (int i = 0; i < fields.length; i++) {
      StructField f = fields[i];
      out.append("  ").append(quoted(f.name())).append(' ').append(f.dataType().sql());
      if (!f.nullable()) {
        out.append(" NOT NULL");
      }
      if (f.metadata().contains("delta.generationExpression")) {
        out.append(" GENERATED ALWAYS AS (").append(f.metadata().getString("delta.generationExpression")).append(')');
      }
      if (f.metadata().contains("delta.identity.start")) {
        boolean always = !f.metadata().contains("delta.identity.allowExplicitInsert")
            || !f.metadata().getBoolean("delta.identity.allowExplicitInsert");
        out.append(" GENERATED ").append(always ? "ALWAYS" : "BY DEFAULT").append(" AS IDENTITY (START WITH ")
            .append(f.metadata().getLong("delta.identity.start")).append(" INCREMENT BY ")
            .append(f.metadata().getLong("delta.identity.step")).append(')');
      }
      if (f.getComment().isDefined()) {
        out.append(" COMMENT ").append(literal(f.getComment().get()));
      }
      out.append(i + 1 < fields.length ? ",\n" : ")\n");
    }
    out.append("USING delta\n").append(layout(detail));
    List<String[]> props = properties(table);
    if (!props.isEmpty()) {
      out.append("TBLPROPERTIES (");
      for (int i = 0; i < props.size(); i++) {
        out.append(i == 0 ? "\n  " : ",\n  ").append(literal(props.get(i)[0])).append(" = ").append(literal(props.get(i)[1]));
      }
      out.append(")\n");
    }
    List<Row> rows = List.of(RowFactory.create(out.toString()));
    return spark().createDataFrame(rows, StructType.fromDDL("createtab_stmt STRING NOT NULL")).logicalPlan();
  }

  /**
   * A deep clone, run as parsed (see the class comment): CREATE TABLE ... AS SELECT, then the
   * change data feed switched on when the source has it (Delta refuses a CTAS into a table
   * with both column mapping and the change data feed).
   */
  static void deepClone(Matcher m) {
    if (m.group(8) != null) {
      throw new UnsupportedOperationException("localspace does not emulate external tables (CLONE ... LOCATION); "
          + "clone into a managed table (README section 'What each engine does')");
    }
    String source = m.group(4);
    Row detail = detail(source);
    if (detail == null) {
      throw new IllegalArgumentException("[DELTA_CLONE_UNSUPPORTED_SOURCE] localspace clones Delta tables only; "
          + source + " is not one");
    }
    StringBuilder sql = new StringBuilder(m.group(1).toUpperCase(Locale.ROOT).replaceAll("\\s+", " "))
        .append(" TABLE ").append(m.group(2) == null ? "" : "IF NOT EXISTS ").append(m.group(3)).append('\n');
    sql.append(layout(detail));
    List<String> props = new ArrayList<>();
    boolean changeFeed = false;
    for (String[] p : properties(source)) {
      if (p[0].equals("delta.enableChangeDataFeed")) {
        changeFeed = p[1].equalsIgnoreCase("true");
        continue;
      }
      boolean overridden = m.group(7) != null && m.group(7).toLowerCase(Locale.ROOT).contains(p[0].toLowerCase(Locale.ROOT));
      if (!INTERNAL.matcher(p[0]).matches() && !overridden) {
        props.add(literal(p[0]) + " = " + literal(p[1]));
      }
    }
    if (m.group(7) != null && !m.group(7).isBlank()) {
      props.add(m.group(7));  // the statement's own properties come last and win
    }
    if (!props.isEmpty()) {
      sql.append("TBLPROPERTIES (").append(String.join(", ", props)).append(")\n");
    }
    sql.append("AS SELECT * FROM ").append(source).append(m.group(5) == null ? "" : m.group(5));
    spark().sql(sql.toString());
    if (changeFeed) {
      spark().sql("ALTER TABLE " + m.group(3) + " SET TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true')");
    }
  }

  static void setNotNull(String table, String column) {
    String quotedColumn = "`" + column.replace("`", "``") + "`";
    if (spark().sql("SELECT count(*) FROM " + table + " WHERE " + quotedColumn + " IS NULL").first().getLong(0) > 0) {
      throw new IllegalArgumentException("[DELTA_NOT_NULL_CONSTRAINT_VIOLATED] NOT NULL constraint violated for column: "
          + column + ". Rows of " + table + " hold NULL there; update or delete them before ALTER COLUMN ... SET NOT NULL.");
    }
    String[] name = GovernanceStatements.existing("TABLE", table).split("\\.");
    org.apache.spark.sql.delta.catalog.DeltaTableV2 delta;
    try {
      delta = (org.apache.spark.sql.delta.catalog.DeltaTableV2)
          ((org.apache.spark.sql.connector.catalog.TableCatalog) spark().sessionState().catalogManager().catalog(name[0]))
              .loadTable(org.apache.spark.sql.connector.catalog.Identifier.of(new String[] {name[1]}, name[2]));
    } catch (org.apache.spark.sql.catalyst.analysis.NoSuchTableException | ClassCastException notDelta) {
      throw new IllegalArgumentException("[DELTA_ONLY_OPERATION] ALTER COLUMN ... SET NOT NULL is only supported for Delta tables: " + table);
    }
    org.apache.spark.sql.delta.OptimisticTransaction txn = delta.startTransaction(scala.Option.empty());
    org.apache.spark.sql.delta.actions.Metadata metadata = txn.metadata();
    StructField[] fields = metadata.schema().fields().clone();
    StructField changed = null;
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].name().equalsIgnoreCase(column)) {
        changed = fields[i] = new StructField(fields[i].name(), fields[i].dataType(), false, fields[i].metadata());
      }
    }
    if (changed == null) {
      throw new IllegalArgumentException("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name " + quotedColumn
          + " cannot be resolved in table " + table + ".");
    }
    txn.updateMetadata(metadata.copy(metadata.id(), metadata.name(), metadata.description(), metadata.format(),
        new StructType(fields).json(), metadata.partitionColumns(), metadata.configuration(), metadata.createdTime()), false);
    txn.commit(scala.jdk.javaapi.CollectionConverters.asScala(new ArrayList<org.apache.spark.sql.delta.actions.Action>()).toList(),
        new org.apache.spark.sql.delta.DeltaOperations.ChangeColumn(
            scala.jdk.javaapi.CollectionConverters.asScala(new ArrayList<String>()).toList(), changed.name(), changed,
            scala.Option.empty()));
  }

  /** Whether the Delta table has a CHECK constraint of this name. */
  static boolean hasCheck(String table, String constraint) {
    for (String[] property : properties(table)) {
      if (property[0].equalsIgnoreCase("delta.constraints." + constraint)) {
        return true;
      }
    }
    return false;
  }
}
