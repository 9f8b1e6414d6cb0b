package localspace.spark;

import java.io.File;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.AliasIdentifier;
import org.apache.spark.sql.catalyst.TableIdentifier;
import org.apache.spark.sql.catalyst.analysis.UnresolvedRelation;
import org.apache.spark.sql.catalyst.catalog.CatalogTable;
import org.apache.spark.sql.catalyst.catalog.CatalogTableType;
import org.apache.spark.sql.catalyst.catalog.SessionCatalog;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.connector.catalog.CatalogManager;
import org.apache.spark.sql.connector.catalog.Identifier;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCatalog;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.Seq;
import scala.runtime.AbstractPartialFunction;

/**
 * Unity Catalog's information schema: {@code dev.information_schema.tables|columns|schemata|
 * volumes|catalogs} (one catalog) and {@code system.information_schema.*} (every catalog), the
 * relations pipelines query to see whether a table exists. Columns and values are those the
 * Databricks SQL reference documents ("Information schema",
 * https://docs.databricks.com/sql/language-manual/sql-ref-information-schema.html, and its
 * pages TABLES, COLUMNS, SCHEMATA, VOLUMES, CATALOGS).
 *
 * <p>An analyzer rule answers the name with the rows of the live catalog at the moment the
 * query is analyzed (catalog and schema folders, the session catalog's tables and views behind
 * each schema, see {@link UnityCatalog}), so there is no copy to keep in step.
 */
public final class InformationSchema extends Rule<LogicalPlan> {
  static final String SCHEMA = "information_schema";
  private static final Set<String> RELATIONS = Set.of("catalogs", "schemata", "tables", "columns", "volumes", "views");

  private static StructType schema(String ddl) {
    return StructType.fromDDL(ddl);
  }

  private static final StructType CATALOGS = schema("catalog_name STRING NOT NULL, catalog_owner STRING NOT NULL, "
      + "comment STRING, created TIMESTAMP NOT NULL, created_by STRING NOT NULL, "
      + "last_altered TIMESTAMP NOT NULL, last_altered_by STRING NOT NULL");
  private static final StructType SCHEMATA = schema("catalog_name STRING NOT NULL, schema_name STRING NOT NULL, "
      + "schema_owner STRING NOT NULL, comment STRING, created TIMESTAMP NOT NULL, created_by STRING NOT NULL, "
      + "last_altered TIMESTAMP NOT NULL, last_altered_by STRING NOT NULL");
  private static final StructType TABLES = schema("table_catalog STRING NOT NULL, table_schema STRING NOT NULL, "
      + "table_name STRING NOT NULL, table_type STRING NOT NULL, is_insertable_into STRING NOT NULL, "
      + "commit_action STRING NOT NULL, table_owner STRING NOT NULL, comment STRING, created TIMESTAMP NOT NULL, "
      + "created_by STRING NOT NULL, last_altered TIMESTAMP NOT NULL, last_altered_by STRING NOT NULL, "
      + "data_source_format STRING, storage_path STRING, storage_sub_directory STRING");
  private static final StructType VIEWS = schema("table_catalog STRING NOT NULL, table_schema STRING NOT NULL, "
      + "table_name STRING NOT NULL, view_definition STRING, check_option STRING NOT NULL, "
      + "is_updatable STRING NOT NULL, is_insertable_into STRING NOT NULL, sql_path STRING, "
      + "is_materialized BOOLEAN NOT NULL");
  private static final StructType COLUMNS = schema("table_catalog STRING NOT NULL, table_schema STRING NOT NULL, "
      + "table_name STRING NOT NULL, column_name STRING NOT NULL, ordinal_position INT NOT NULL, "
      + "column_default STRING, is_nullable STRING NOT NULL, full_data_type STRING NOT NULL, "
      + "data_type STRING NOT NULL, character_maximum_length INT, character_octet_length INT, "
      + "numeric_precision INT, numeric_precision_radix INT, numeric_scale INT, datetime_precision INT, "
      + "interval_type STRING, interval_precision INT, maximum_cardinality INT, is_identity STRING NOT NULL, "
      + "identity_generation STRING, identity_start STRING, identity_increment STRING, "
      + "identity_maximum STRING, identity_minimum STRING, identity_cycle STRING, "
      + "is_system_time_period_start STRING NOT NULL, is_system_time_period_end STRING NOT NULL, "
      + "system_time_period_timestamp_generation STRING, is_generated STRING NOT NULL, "
      + "generation_expression STRING, is_updatable STRING NOT NULL, partition_index INT, comment STRING");
  private static final StructType VOLUMES = schema("volume_catalog STRING NOT NULL, volume_schema STRING NOT NULL, "
      + "volume_name STRING NOT NULL, volume_type STRING NOT NULL, volume_owner STRING NOT NULL, comment STRING, "
      + "created TIMESTAMP NOT NULL, created_by STRING NOT NULL, last_altered TIMESTAMP NOT NULL, "
      + "last_altered_by STRING NOT NULL, storage_location STRING NOT NULL");

  // ---- which name is ours ------------------------------------------------------------

  private static CatalogManager catalogs() {
    return SparkSession.active().sessionState().catalogManager();
  }

  private static boolean isUnity(String catalog) {
    CatalogManager cm = catalogs();
    return cm.isCatalogRegistered(catalog) && cm.catalog(catalog) instanceof UnityCatalog;
  }

  /**
   * {catalog or null for every catalog, relation} for {@code c.information_schema.x}, {@code
   * system.information_schema.x} and {@code information_schema.x} in a Unity Catalog catalog;
   * null for any other name.
   */
  private static String[] target(List<String> parts) {
    List<String> p = new ArrayList<>();
    for (String part : parts) {
      p.add(part.toLowerCase(Locale.ROOT));
    }
    String catalog;
    if (p.size() == 3 && p.get(1).equals(SCHEMA)) {
      catalog = p.get(0);
      if (!catalog.equals("system") && !isUnity(catalog)) {
        return null;
      }
    } else if (p.size() == 2 && p.get(0).equals(SCHEMA) && !catalogs().isCatalogRegistered(SCHEMA)) {
      catalog = catalogs().currentCatalog().name();
      if (!isUnity(catalog)) {
        return null;
      }
    } else {
      return null;
    }
    String relation = p.get(p.size() - 1);
    if (!RELATIONS.contains(relation)) {
      throw new UnsupportedOperationException("localspace does not emulate information_schema." + relation
          + " (it answers " + String.join(", ", new java.util.TreeSet<>(RELATIONS))
          + "); see README section 'What each engine does'");
    }
    return new String[] {catalog.equals("system") ? null : catalog, relation};
  }

  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    return plan.resolveOperatorsUp(new AbstractPartialFunction<LogicalPlan, LogicalPlan>() {
      @Override
      public boolean isDefinedAt(LogicalPlan node) {
        return node instanceof UnresolvedRelation;
      }

      @Override
      public LogicalPlan apply(LogicalPlan node) {
        List<String> parts = scala.jdk.javaapi.CollectionConverters.asJava(((UnresolvedRelation) node).multipartIdentifier());
        String[] target = target(parts);
        if (target == null) {
          return node;
        }
        LogicalPlan rows = relation(target[0], target[1]);
        String catalog = target[0] == null ? "system" : target[0];
        return new SubqueryAlias(new AliasIdentifier(target[1], seq(List.of(catalog, SCHEMA))), rows);
      }
    });
  }

  private static Seq<String> seq(List<String> parts) {
    return scala.jdk.javaapi.CollectionConverters.asScala(parts).toList();
  }

  // ---- the rows ------------------------------------------------------------------------

  /** The user localspace runs as: the owner and creator of everything (current_user()). */
  private static String user() {
    return SparkContext.getOrCreate().sparkUser();
  }

  private static LogicalPlan relation(String only, String relation) {
    List<Row> rows = new ArrayList<>();
    StructType shape;
    switch (relation) {
      case "catalogs": shape = CATALOGS; break;
      case "schemata": shape = SCHEMATA; break;
      case "tables": shape = TABLES; break;
      case "views": shape = VIEWS; break;
      case "columns": shape = COLUMNS; break;
      default: shape = VOLUMES;
    }
    for (String catalog : Catalogs.folders(Catalogs.volumesRoot())) {
      if (only != null && !only.equals(catalog)) {
        continue;
      }
      File catalogDir = new File(Catalogs.volumesRoot(), catalog);
      if (relation.equals("catalogs")) {
        Timestamp at = new Timestamp(catalogDir.lastModified());
        rows.add(RowFactory.create(catalog, user(), null, at, user(), at, user()));
        continue;
      }
      for (String schema : Catalogs.folders(catalogDir)) {
        File schemaDir = new File(catalogDir, schema);
        switch (relation) {
          case "schemata": schemata(rows, catalog, schema, schemaDir); break;
          case "volumes": volumes(rows, catalog, schema, schemaDir); break;
          default: relations(rows, relation, catalog, schema);
        }
      }
    }
    return SparkSession.active().createDataFrame(rows, shape).logicalPlan();
  }

  private static String database(String catalog, String schema) {
    return catalog + UnityCatalog.SEPARATOR + schema;
  }

  private static void schemata(List<Row> rows, String catalog, String schema, File dir) {
    String comment = null;
    SessionCatalog session = SparkSession.active().sessionState().catalog();
    if (session.databaseExists(database(catalog, schema))) {
      String description = session.getDatabaseMetadata(database(catalog, schema)).description();
      comment = description == null || description.isEmpty() ? null : description;
    }
    Timestamp at = new Timestamp(dir.lastModified());
    rows.add(RowFactory.create(catalog, schema, user(), comment, at, user(), at, user()));
  }

  private static void volumes(List<Row> rows, String catalog, String schema, File dir) {
    for (String volume : Catalogs.folders(dir)) {
      Timestamp at = new Timestamp(new File(dir, volume).lastModified());
      rows.add(RowFactory.create(catalog, schema, volume, "MANAGED", user(), null, at, user(), at, user(),
          "dbfs:/Volumes/" + catalog + "/" + schema + "/" + volume));
    }
  }

  /** Rows of tables, views or columns for each table and view of {@code catalog.schema}. */
  private static void relations(List<Row> rows, String relation, String catalog, String schema) {
    SessionCatalog session = SparkSession.active().sessionState().catalog();
    String db = database(catalog, schema);
    if (!session.databaseExists(db)) {
      return;
    }
    for (TableIdentifier id : scala.jdk.javaapi.CollectionConverters.asJava(session.listTables(db, "*", false))) {
      CatalogTable meta;
      try {
        meta = session.getTableMetadata(id);
      } catch (Exception dropped) {
        continue;  // dropped while we listed
      }
      boolean view = meta.tableType() == CatalogTableType.VIEW();
      String name = id.table();
      if (relation.equals("tables")) {
        Timestamp at = new Timestamp(meta.createTime());
        String format = view ? null : meta.provider().isDefined() ? meta.provider().get().toUpperCase(Locale.ROOT) : "DELTA";
        String path = view ? null : "dbfs:/user/hive/warehouse/" + catalog + "/" + schema + "/" + name;
        rows.add(RowFactory.create(catalog, schema, name, view ? "VIEW" : "MANAGED", view ? "NO" : "YES",
            "PRESERVE", user(), meta.comment().isDefined() ? meta.comment().get() : null, at, user(), at, user(),
            format, path, null));
      } else if (relation.equals("views")) {
        if (view) {
          String text = meta.viewText().isDefined() ? meta.viewText().get() : null;
          rows.add(RowFactory.create(catalog, schema, name, text, "NONE", "NO", "NO", null, false));
        }
      } else {
        columns(rows, catalog, schema, name, view, meta);
      }
    }
  }

  private static void columns(List<Row> rows, String catalog, String schema, String name, boolean view,
      CatalogTable meta) {
    StructType fields = meta.schema();
    List<String> partitions = new ArrayList<>();
    if (!view) {
      try {
        // The table's own schema (Delta keeps it in its log, not in the metastore entry).
        Table table = ((TableCatalog) catalogs().v2SessionCatalog())
            .loadTable(Identifier.of(new String[] {database(catalog, schema)}, name));
        fields = table.schema();
        for (Transform t : table.partitioning()) {
          if (t.name().equals("identity")) {
            partitions.add(t.references()[0].fieldNames()[0]);
          }
        }
      } catch (Exception dropped) {
        return;
      }
    }
    int position = 0;
    for (StructField f : fields.fields()) {
      position++;
      DataType type = f.dataType();
      Integer[] numeric = numeric(type);
      boolean identity = f.metadata().contains("delta.identity.start");
      String generated = f.metadata().contains("delta.generationExpression")
          ? f.metadata().getString("delta.generationExpression") : null;
      int partition = partitions.indexOf(f.name());
      rows.add(RowFactory.create(catalog, schema, name, f.name(), position,
          f.getCurrentDefaultValue().isDefined() ? f.getCurrentDefaultValue().get() : null,
          f.nullable() ? "YES" : "NO", type.simpleString(), typeName(type), null, null,
          numeric[0], numeric[1], numeric[2], datetimePrecision(type), null, null, null,
          identity ? "YES" : "NO", identity ? "ALWAYS" : null,
          identity ? String.valueOf(f.metadata().getLong("delta.identity.start")) : null,
          identity ? String.valueOf(f.metadata().getLong("delta.identity.step")) : null, null, null,
          identity ? "NO" : null, "NO", "NO", null, generated != null ? "ALWAYS" : "NEVER", generated,
          view || generated != null || identity ? "NO" : "YES", partition < 0 ? null : partition,
          f.getComment().isDefined() ? f.getComment().get() : null));
    }
  }

  /** The simple type name, as the Statement Execution API names types (LONG for BIGINT). */
  static String typeName(DataType type) {
    if (type instanceof ArrayType) {
      return "ARRAY";
    }
    if (type instanceof MapType) {
      return "MAP";
    }
    if (type instanceof StructType) {
      return "STRUCT";
    }
    if (type instanceof DecimalType) {
      return "DECIMAL";
    }
    String name = type.typeName().toUpperCase(Locale.ROOT);
    switch (name) {
      case "INTEGER": return "INT";
      case "TIMESTAMP_NTZ": return name;
      default: return name.replaceAll("\\(.*", "");
    }
  }

  /** numeric_precision, numeric_precision_radix, numeric_scale (COLUMNS reference). */
  private static Integer[] numeric(DataType type) {
    if (type instanceof DecimalType) {
      DecimalType d = (DecimalType) type;
      return new Integer[] {d.precision(), 10, d.scale()};
    }
    if (type.equals(DataTypes.ByteType)) {
      return new Integer[] {8, 2, 0};
    }
    if (type.equals(DataTypes.ShortType)) {
      return new Integer[] {16, 2, 0};
    }
    if (type.equals(DataTypes.IntegerType)) {
      return new Integer[] {32, 2, 0};
    }
    if (type.equals(DataTypes.LongType)) {
      return new Integer[] {64, 2, 0};
    }
    if (type.equals(DataTypes.FloatType)) {
      return new Integer[] {24, 2, null};
    }
    if (type.equals(DataTypes.DoubleType)) {
      return new Integer[] {53, 2, null};
    }
    return new Integer[] {null, null, null};
  }

  private static Integer datetimePrecision(DataType type) {
    if (type.equals(DataTypes.DateType)) {
      return 0;
    }
    return type.equals(DataTypes.TimestampType) || type.equals(DataTypes.TimestampNTZType) ? 3 : null;
  }
}
