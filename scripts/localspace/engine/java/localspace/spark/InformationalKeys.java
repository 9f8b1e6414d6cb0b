package localspace.spark;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.connector.catalog.Column;
import org.apache.spark.sql.connector.catalog.TableChange;
import org.apache.spark.sql.connector.catalog.TableInfo;
import org.apache.spark.sql.connector.catalog.constraints.Check;
import org.apache.spark.sql.connector.catalog.constraints.Constraint;
import org.apache.spark.sql.connector.catalog.constraints.ForeignKey;
import org.apache.spark.sql.connector.catalog.constraints.PrimaryKey;
import org.apache.spark.sql.connector.catalog.constraints.Unique;
import org.apache.spark.sql.connector.expressions.NamedReference;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Unity Catalog's informational PRIMARY KEY, FOREIGN KEY and UNIQUE constraints (Databricks
 * SQL reference, "CONSTRAINT clause": "informational ... not enforced"; "Primary key columns
 * are implicitly defined as NOT NULL"; "a table can have at most one primary key"; a CHECK
 * constraint is added with ALTER TABLE after the table is created). Spark parses them;
 * Delta's catalog refuses tables with constraints, so the Unity catalog takes them here: the
 * key's columns become NOT NULL, the names are remembered so that DROP CONSTRAINT finds them,
 * and Delta gets the table without them. A FOREIGN KEY's parent table must exist.
 */
final class InformationalKeys {
  private InformationalKeys() {}

  /** catalog.schema.table -> constraint name (lower case) -> "PRIMARY KEY" | "FOREIGN KEY" | "UNIQUE". */
  private static final Map<String, Map<String, String>> KEYS = new ConcurrentHashMap<>();

  /**
   * An AnalysisException, as Spark's own checks raise: a catalog's IllegalArgumentException
   * would reach the user as "Unsupported table change" around a Java trace. Thrown unchecked
   * (Java's rule for checked exceptions is the compiler's only; the catalog methods cannot
   * declare it).
   */
  private static RuntimeException analysis(String message) {
    return InformationalKeys.<RuntimeException>unchecked(new org.apache.spark.sql.AnalysisException(
        message, scala.Option.empty(), scala.Option.empty(), scala.Option.empty(), scala.Option.empty(),
        scala.collection.immutable.Map$.MODULE$.empty(), new org.apache.spark.QueryContext[0]));
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> RuntimeException unchecked(Throwable e) throws E {
    throw (E) e;
  }

  /** catalog.schema.table -> its primary key's columns, as declared. */
  private static final Map<String, List<String>> PRIMARY_KEYS = new ConcurrentHashMap<>();

  /**
   * The parent's primary key columns, for {@code REFERENCES parent} without a column list
   * (Databricks: the parent's primary key; Spark's parser fails on the omitted list).
   */
  static List<String> primaryKey(String table) {
    List<String> columns = PRIMARY_KEYS.get(table);
    if (columns == null) {
      throw analysis("Table " + table + " has no primary key for a FOREIGN KEY to reference; name the"
          + " referenced columns: REFERENCES " + table + " (column, ...).");
    }
    return columns;
  }

  private static String kind(Constraint c) {
    if (c instanceof PrimaryKey) {
      return "PRIMARY KEY";
    }
    if (c instanceof ForeignKey) {
      return "FOREIGN KEY";
    }
    if (c instanceof Unique) {
      return "UNIQUE";
    }
    return null;
  }

  private static Set<String> names(NamedReference[] columns) {
    Set<String> out = new HashSet<>();
    for (NamedReference c : columns) {
      out.add(String.join(".", c.fieldNames()).toLowerCase(Locale.ROOT));
    }
    return out;
  }

  private static void checkParent(Constraint c) {
    if (c instanceof ForeignKey) {
      ForeignKey fk = (ForeignKey) c;
      StringBuilder parent = new StringBuilder();
      for (String part : fk.referencedTable().namespace()) {
        parent.append('`').append(part.replace("`", "``")).append("`.");
      }
      parent.append('`').append(fk.referencedTable().name().replace("`", "``")).append('`');
      org.apache.spark.sql.classic.SparkSession.active().table(parent.toString()).schema();  // TABLE_OR_VIEW_NOT_FOUND
    }
  }

  private static void remember(String table, Constraint c) {
    if (table.startsWith("hive_metastore.") || table.startsWith("spark_catalog.")) {
      throw analysis("[UNSUPPORTED_FEATURE] " + kind(c) + " constraints are not supported for tables in the"
          + " hive_metastore catalog (" + table + "); create the table in a Unity Catalog catalog.");
    }
    Map<String, String> keys = KEYS.computeIfAbsent(table, t -> new ConcurrentHashMap<>());
    if (c instanceof PrimaryKey && keys.containsValue("PRIMARY KEY")) {
      throw analysis("[MULTIPLE_PRIMARY_KEYS] Table " + table
          + " already has a primary key; a table can have at most one primary key.");
    }
    keys.put(c.name().toLowerCase(Locale.ROOT), kind(c));
    if (c instanceof PrimaryKey) {
      List<String> columns = new ArrayList<>();
      for (NamedReference column : ((PrimaryKey) c).columns()) {
        columns.add(String.join(".", column.fieldNames()));
      }
      PRIMARY_KEYS.put(table, columns);
    }
  }

  /** The table as Delta is to create it: without informational keys, key columns NOT NULL. */
  static TableInfo created(String table, TableInfo info) {
    Constraint[] constraints = info.constraints();
    if (constraints == null || constraints.length == 0) {
      return info;
    }
    KEYS.remove(table);
    PRIMARY_KEYS.remove(table);
    Set<String> keyColumns = new HashSet<>();
    for (Constraint c : constraints) {
      if (c instanceof Check) {
        throw new IllegalArgumentException("[PARSE_SYNTAX_ERROR] CREATE TABLE " + table
            + " takes only PRIMARY KEY and FOREIGN KEY constraints; add the CHECK constraint "
            + c.name() + " with ALTER TABLE ... ADD CONSTRAINT after the table is created.");
      }
      checkParent(c);
      remember(table, c);
      if (c instanceof PrimaryKey) {
        keyColumns.addAll(names(((PrimaryKey) c).columns()));
      }
    }
    Column[] columns = info.columns();
    for (int i = 0; i < columns.length; i++) {
      Column c = columns[i];
      if (keyColumns.contains(c.name().toLowerCase(Locale.ROOT)) && c.nullable()) {
        columns[i] = c.identityColumnSpec() != null
            ? Column.create(c.name(), c.dataType(), false, c.comment(), c.identityColumnSpec(), c.metadataInJSON())
            : c.generationExpression() != null
                ? Column.create(c.name(), c.dataType(), false, c.comment(), c.generationExpression(), c.metadataInJSON())
                : Column.create(c.name(), c.dataType(), false, c.comment(), c.defaultValue(), c.metadataInJSON());
      }
    }
    return new TableInfo.Builder().withColumns(columns).withProperties(info.properties())
        .withPartitions(info.partitions()).withConstraints(new Constraint[0]).build();
  }

  /**
   * The changes Delta is to make: an added informational key is checked (a primary key's
   * columns must already be NOT NULL) and remembered instead; a dropped one is forgotten.
   */
  static TableChange[] altered(String table, StructType schema, TableChange[] changes) {
    List<TableChange> forDelta = new ArrayList<>();
    for (TableChange change : changes) {
      if (change instanceof TableChange.AddConstraint && kind(((TableChange.AddConstraint) change).constraint()) != null) {
        Constraint c = ((TableChange.AddConstraint) change).constraint();
        if (c instanceof PrimaryKey) {
          for (String column : names(((PrimaryKey) c).columns())) {
            for (StructField f : schema.fields()) {
              if (f.name().equalsIgnoreCase(column) && f.nullable()) {
                throw analysis("Cannot create the primary key `" + c.name()
                    + "` because its child column(s) `" + f.name() + "` is nullable. Please change the"
                    + " column nullability (ALTER TABLE ... ALTER COLUMN " + f.name() + " SET NOT NULL) and retry.");
              }
            }
          }
        }
        checkParent(c);
        remember(table, c);
      } else {
        forDelta.add(change);
      }
    }
    return forDelta.toArray(new TableChange[0]);
  }

  /** Forgets an informational key by name; false when the table has no key of that name. */
  static boolean dropped(String table, String name) {
    Map<String, String> keys = KEYS.get(table);
    String kind = keys == null ? null : keys.remove(name.toLowerCase(Locale.ROOT));
    if ("PRIMARY KEY".equals(kind)) {
      PRIMARY_KEYS.remove(table);
    }
    return kind != null;
  }

  /** Forgets the table's primary key or its foreign keys (ALTER TABLE ... DROP PRIMARY|FOREIGN KEY). */
  static boolean droppedKind(String table, String kind) {
    Map<String, String> keys = KEYS.get(table);
    if (kind.equals("PRIMARY KEY")) {
      PRIMARY_KEYS.remove(table);
    }
    return keys != null && keys.values().removeIf(kind::equals);
  }
}
