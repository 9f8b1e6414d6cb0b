package localspace.spark;

import java.lang.reflect.Field;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.connector.catalog.CatalogManager;
import org.apache.spark.sql.internal.SessionState;
import scala.Option;

/**
 * A cloned session starts in its parent's current catalog and schema. Spark runs every
 * streaming query on {@code sparkSession.cloneSession()}, so a {@code foreachBatch} function's
 * {@code microBatchDF.sparkSession} (or {@code _jdf.sparkSession()}) is such a clone. Spark
 * copies the clone's confs, temp views and the session catalog's current database, but not
 * the current catalog and namespace that {@code USE CATALOG} and {@code USE SCHEMA} set in a
 * Unity Catalog catalog: the clone would be back in {@code spark.sql.defaultCatalog}, and the
 * Databricks courses' upsert ({@code USE CATALOG dev; USE SCHEMA s}, then {@code MERGE INTO
 * orders_silver ...} inside {@code foreachBatch}) would not find its table. On Databricks it
 * does: the stream's batches run in the catalog and schema the notebook was in.
 *
 * <p>An analyzer rule builder is the hook: it runs once per session, when the session's
 * analyzer is first needed, with the session; the rule itself changes no plan.
 */
public final class ClonedNamespace extends Rule<LogicalPlan> {
  private static final Field PARENT = parentField();

  private static Field parentField() {
    try {
      Field field = SparkSession.class.getDeclaredField("parentSessionState");
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException("localspace: this Spark has no SparkSession.parentSessionState", e);
    }
  }

  private final SparkSession session;
  private final SessionState parent;   // null: not a clone
  private volatile boolean moved;

  private ClonedNamespace(SparkSession session, SessionState parent) {
    this.session = session;
    this.parent = parent;
  }

  /** The rule for {@code session} (the builder {@code injectResolutionRule} takes). */
  @SuppressWarnings("unchecked")
  public static Rule<LogicalPlan> inherit(org.apache.spark.sql.SparkSession session) {
    if (!(session instanceof SparkSession)) {
      return new ClonedNamespace(null, null);
    }
    Option<SessionState> parent;
    try {
      parent = (Option<SessionState>) PARENT.get(session);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("localspace: cannot read SparkSession.parentSessionState", e);
    }
    return new ClonedNamespace((SparkSession) session, parent != null && parent.isDefined() ? parent.get() : null);
  }

  /**
   * Moves a clone to its parent's catalog and schema before its first plan is resolved: the
   * session's catalog manager belongs to its analyzer, which does not exist yet when the
   * rule is built.
   */
  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    if (parent != null && !moved) {
      synchronized (this) {
        if (!moved) {
          moved = true;
          CatalogManager from = parent.catalogManager();
          CatalogManager to = session.sessionState().catalogManager();
          try {
            to.setCurrentCatalog(from.currentCatalog().name());
            to.setCurrentNamespace(from.currentNamespace());
          } catch (Exception gone) {  // NoSuchNamespaceException is an AnalysisException
            // the parent's schema was dropped since: the clone stays where Spark puts it
            // (spark.sql.defaultCatalog), and names in it fail as they would there
          }
        }
      }
    }
    return plan;
  }
}
