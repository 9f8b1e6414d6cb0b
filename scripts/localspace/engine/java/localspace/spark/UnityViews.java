package localspace.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.TableIdentifier;
import org.apache.spark.sql.catalyst.analysis.NoSuchNamespaceException;
import org.apache.spark.sql.catalyst.analysis.NoSuchTableException;
import org.apache.spark.sql.catalyst.analysis.UnresolvedIdentifier;
import org.apache.spark.sql.catalyst.analysis.UnresolvedRelation;
import org.apache.spark.sql.catalyst.analysis.UnresolvedTableOrView;
import org.apache.spark.sql.catalyst.analysis.UnresolvedView;
import org.apache.spark.sql.catalyst.catalog.CatalogTableType;
import org.apache.spark.sql.catalyst.catalog.SessionCatalog;
import org.apache.spark.sql.catalyst.plans.logical.CreateView;
import org.apache.spark.sql.catalyst.plans.logical.DropView;
import org.apache.spark.sql.catalyst.plans.logical.InsertIntoStatement;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.connector.catalog.CatalogManager;
import org.apache.spark.sql.connector.catalog.CatalogPlugin;
import org.apache.spark.sql.connector.catalog.Identifier;
import scala.Option;
import scala.collection.immutable.Seq;
import scala.runtime.AbstractPartialFunction;

/**
 * Permanent views with Unity Catalog names ({@code CREATE VIEW dev.sbit.top_users AS ...},
 * Databricks SQL reference, "CREATE VIEW"). Apache Spark 4.1 keeps permanent views only in its
 * session catalog (its analyzer never asks a catalog plugin for one), so a view of {@code
 * dev.sbit} is stored there, in the database behind the schema ({@code dev__sbit}, see
 * {@link UnityCatalog}), and names are pointed at it in the plan, never in SQL text:
 *
 * <ul>
 *   <li>{@link #atParse}: {@code CREATE [OR REPLACE] VIEW} and {@code DROP VIEW} name the view
 *       in the session catalog before analysis;
 *   <li>{@link Reads}, an analyzer rule: a relation, {@code DESCRIBE} or {@code ALTER VIEW}
 *       name that no catalog resolved is pointed at the view when the session catalog has one
 *       ({@link UnityCatalog#loadTable} does not answer for views).
 * </ul>
 *
 * Views therefore appear in {@code SHOW TABLES} of their schema and drop with it, as on
 * Databricks; the view's own text still names tables by their Unity Catalog names.
 */
public final class UnityViews {
  private UnityViews() {}

  private static CatalogManager catalogs() {
    return SparkSession.active().sessionState().catalogManager();
  }

  private static SessionCatalog sessionCatalog() {
    return SparkSession.active().sessionState().catalog();
  }

  /**
   * The Unity Catalog catalog and identifier a multi-part name means, by Spark's own rule (a
   * first part that names a catalog is the catalog, otherwise the current catalog and
   * schema); null when that catalog is not a Unity Catalog one.
   */
  static Object[] unityName(List<String> parts) {
    CatalogManager cm = catalogs();
    CatalogPlugin catalog;
    String schema;
    if (parts.size() == 3 && cm.isCatalogRegistered(parts.get(0))) {
      catalog = cm.catalog(parts.get(0));
      schema = parts.get(1);
    } else if (parts.size() == 2 && !cm.isCatalogRegistered(parts.get(0))) {
      catalog = cm.currentCatalog();
      schema = parts.get(0);
    } else if (parts.size() == 1) {
      catalog = cm.currentCatalog();
      String[] ns = cm.currentNamespace();
      if (ns.length != 1) {
        return null;
      }
      schema = ns[0];
    } else {
      return null;
    }
    if (!(catalog instanceof UnityCatalog)) {
      return null;
    }
    return new Object[] {catalog, Identifier.of(new String[] {schema}, parts.get(parts.size() - 1))};
  }

  private static Seq<String> seq(List<String> parts) {
    return scala.jdk.javaapi.CollectionConverters.asScala(parts).toList();
  }

  private static List<String> list(Seq<String> parts) {
    return new ArrayList<>(scala.jdk.javaapi.CollectionConverters.asJava(parts));
  }

  /** The session-catalog name of the view {@code parts} means, or null if it names no view. */
  private static List<String> viewName(List<String> parts) {
    return sessionRelation(parts, true, false);
  }

  /**
   * The session-catalog name of a view, or of a table Spark reads as a file source (a CSV or
   * Parquet table of {@code hive_metastore}): Spark plans those only for its session catalog.
   */
  private static List<String> readName(List<String> parts) {
    return sessionRelation(parts, true, true);
  }

  private static List<String> sessionRelation(List<String> parts, boolean views, boolean fileTables) {
    Object[] unity = unityName(parts);
    if (unity == null) {
      return null;
    }
    Identifier inner;
    try {
      inner = ((UnityCatalog) unity[0]).sessionIdentifier((Identifier) unity[1]);
      TableIdentifier id = new TableIdentifier(inner.name(), Option.apply(inner.namespace()[0]));
      SessionCatalog session = sessionCatalog();
      if (!session.tableExists(id)) {
        return null;
      }
      var table = session.getTableMetadata(id);
      boolean view = table.tableType() == CatalogTableType.VIEW();
      boolean fileTable = !view && !"delta".equalsIgnoreCase(table.provider().getOrElse(() -> "delta"));
      if (!(views && view) && !(fileTables && fileTable)) {
        return null;
      }
    } catch (NoSuchNamespaceException | NoSuchTableException e) {
      return null;
    }
    return List.of(CatalogManager.SESSION_CATALOG_NAME(), inner.namespace()[0], inner.name());
  }

  /**
   * CREATE VIEW / DROP VIEW with a Unity Catalog name, and commands on an existing view
   * (ALTER VIEW): the view's session-catalog name. Spark refuses these for a catalog plugin
   * before any later rule could rename them, so they are renamed as parsed.
   */
  static LogicalPlan atParse(LogicalPlan plan) {
    List<LogicalPlan> children = new ArrayList<>(scala.jdk.javaapi.CollectionConverters.asJava(plan.children()));
    boolean changed = false;
    for (int i = 0; i < children.size(); i++) {
      LogicalPlan child = children.get(i);
      List<String> name = null;
      if (child instanceof UnresolvedIdentifier && (plan instanceof CreateView || plan instanceof DropView)) {
        name = newViewName(list(((UnresolvedIdentifier) child).nameParts()));
      } else if (child instanceof UnresolvedView) {
        name = viewName(list(((UnresolvedView) child).multipartIdentifier()));
      }
      if (name != null) {
        children.set(i, renamed(child, name));
        changed = true;
      }
    }
    return changed ? plan.withNewChildren(scala.jdk.javaapi.CollectionConverters.asScala(children).toList()) : plan;
  }

  /** Where a view named {@code parts} is created: null if not in a Unity Catalog schema. */
  private static List<String> newViewName(List<String> parts) {
    return sessionName(parts, true);
  }

  /**
   * {@code [spark_catalog, c__s, name]} for an object of a Unity Catalog schema (a view here, a
   * SQL function in {@link UnityFunctions}); null if the name is not in one, or its schema is
   * missing and {@code mustExist} is false.
   */
  static List<String> sessionName(List<String> parts, boolean mustExist) {
    Object[] unity = unityName(parts);
    if (unity == null) {
      return null;
    }
    try {
      Identifier inner = ((UnityCatalog) unity[0]).sessionIdentifier((Identifier) unity[1]);
      return List.of(CatalogManager.SESSION_CATALOG_NAME(), inner.namespace()[0], inner.name());
    } catch (NoSuchNamespaceException e) {
      if (!mustExist) {
        return null;
      }
      throw new IllegalArgumentException("[SCHEMA_NOT_FOUND] The schema `" + ((UnityCatalog) unity[0]).name()
          + "`.`" + ((Identifier) unity[1]).namespace()[0] + "` cannot be found.");
    }
  }

  /** {@code node} (an unresolved name node: the name parts are its first field) renamed. */
  private static LogicalPlan renamed(LogicalPlan node, List<String> parts) {
    Object[] fields = new Object[node.productArity()];
    for (int i = 0; i < fields.length; i++) {
      fields[i] = node.productElement(i);
    }
    fields[0] = seq(parts);
    return node.makeCopy(fields);
  }

  /**
   * {@code samples.nyctaxi.trips}: every Unity Catalog workspace has the read-only {@code samples}
   * catalog of sample datasets (Databricks docs, "Sample datasets"); localspace has it only when
   * a test made it ({@code --catalog samples} and its tables), like /databricks-datasets.
   */
  private static void refuseSamples(List<String> parts) {
    if (parts.size() == 3 && parts.get(0).equalsIgnoreCase("samples")
        && !new java.io.File(Catalogs.volumesRoot(), "samples").isDirectory()) {
      throw new IllegalArgumentException("localspace does not emulate the samples catalog, Databricks' sample "
          + "datasets (see README \"What each engine does\"): " + String.join(".", parts) + " is not there; "
          + "start localspace with --catalog samples and create the tables the notebook reads first (a setup step)");
    }
  }

  /** Points unresolved names of views in Unity Catalog schemas at the session catalog. */
  public static final class Reads extends Rule<LogicalPlan> {
    @Override
    public LogicalPlan apply(LogicalPlan plan) {
      return plan.resolveOperatorsUp(new AbstractPartialFunction<LogicalPlan, LogicalPlan>() {
        @Override
        public boolean isDefinedAt(LogicalPlan node) {
          return node instanceof UnresolvedRelation || node instanceof UnresolvedTableOrView
              || node instanceof UnresolvedView
              || node instanceof InsertIntoStatement && ((InsertIntoStatement) node).table() instanceof UnresolvedRelation;
        }

        @Override
        public LogicalPlan apply(LogicalPlan node) {
          if (node instanceof InsertIntoStatement) {  // its table is a field, not a child
            Object[] fields = new Object[node.productArity()];
            for (int i = 0; i < fields.length; i++) {
              fields[i] = node.productElement(i);
            }
            LogicalPlan table = (LogicalPlan) fields[0];
            fields[0] = apply(table);
            return fields[0] == table ? node : node.makeCopy(fields);
          }
          @SuppressWarnings("unchecked")
          List<String> parts = list((Seq<String>) node.productElement(0));
          refuseSamples(parts);
          List<String> session = readName(parts);
          return session == null ? node : renamed(node, session);
        }
      });
    }
  }
}
