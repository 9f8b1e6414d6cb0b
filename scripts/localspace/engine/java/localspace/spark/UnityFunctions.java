package localspace.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.UnresolvedFunction;
import org.apache.spark.sql.catalyst.analysis.UnresolvedFunctionName;
import org.apache.spark.sql.catalyst.analysis.UnresolvedIdentifier;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.CreateUserDefinedFunction;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.classic.SparkSession;
import scala.Option;
import scala.collection.immutable.Seq;
import scala.runtime.AbstractPartialFunction;

/**
 * SQL user-defined functions with Unity Catalog names ({@code CREATE [OR REPLACE] FUNCTION
 * dev.s.f(x INT) RETURNS INT RETURN x * 10}, Databricks SQL reference, "CREATE FUNCTION (SQL
 * and Python)", https://docs.databricks.com/sql/language-manual/sql-ref-syntax-ddl-create-sql-function.html).
 * Apache Spark 4.1 keeps SQL functions only in its session catalog, so, as with views ({@link
 * UnityViews}), a function of {@code dev.s} is kept in the session database behind the schema
 * and names are pointed at it as parsed: {@code CREATE FUNCTION}, {@code DROP FUNCTION},
 * {@code DESCRIBE FUNCTION} and calls {@code dev.s.f(2)}, {@code s.f(2)} or {@code f(2)} (a
 * one-part name only when no built-in or temporary function has it, Spark's own order).
 * Table-valued SQL functions with a schema in the name are refused by Spark's parser.
 */
final class UnityFunctions {
  private UnityFunctions() {}

  private static SparkSession spark() {
    return SparkSession.active();
  }

  private static List<String> list(Seq<String> parts) {
    return new ArrayList<>(scala.jdk.javaapi.CollectionConverters.asJava(parts));
  }

  private static Seq<String> seq(List<String> parts) {
    return scala.jdk.javaapi.CollectionConverters.asScala(parts).toList();
  }

  /** [spark_catalog, c__s, f] for a Unity Catalog function name; null if not one. */
  private static List<String> sessionName(List<String> parts) {
    return UnityViews.sessionName(parts, false);
  }

  /** The session name of an existing function {@code parts} means, or null. */
  static List<String> existing(List<String> parts) {
    if (parts.size() == 1 && spark().sessionState().functionRegistry()
        .functionExists(new FunctionIdentifier(parts.get(0)))) {
      return null;  // a built-in or temporary function comes first
    }
    List<String> name = sessionName(parts);
    if (name == null || !spark().sessionState().catalog().isPersistentFunction(
        new FunctionIdentifier(name.get(2), Option.apply(name.get(1)), Option.apply(name.get(0))))) {
      return null;
    }
    return name;
  }

  static LogicalPlan atParse(LogicalPlan plan) {
    if (plan instanceof CreateUserDefinedFunction && plan.children().head() instanceof UnresolvedIdentifier) {
      UnresolvedIdentifier id = (UnresolvedIdentifier) plan.children().head();
      List<String> name = UnityViews.sessionName(list(id.nameParts()), true);  // its schema must exist
      if (name != null) {
        List<LogicalPlan> child = List.of(new UnresolvedIdentifier(seq(name), id.allowTemp()));
        return plan.withNewChildren(scala.jdk.javaapi.CollectionConverters.asScala(child).toList());
      }
      return plan;
    }
    List<LogicalPlan> children = new ArrayList<>(scala.jdk.javaapi.CollectionConverters.asJava(plan.children()));
    boolean changed = false;
    for (int i = 0; i < children.size(); i++) {
      if (children.get(i) instanceof UnresolvedFunctionName) {
        UnresolvedFunctionName f = (UnresolvedFunctionName) children.get(i);
        List<String> name = existing(list(f.multipartIdentifier()));
        if (name != null) {
          children.set(i, new UnresolvedFunctionName(seq(name), f.commandName(), f.requirePersistent(),
              f.funcTypeMismatchHint(), f.possibleQualifiedName()));
          changed = true;
        }
      }
    }
    LogicalPlan renamed = changed ? plan.withNewChildren(scala.jdk.javaapi.CollectionConverters.asScala(children).toList()) : plan;
    return (LogicalPlan) renamed.transformAllExpressionsWithSubqueries(new AbstractPartialFunction<Expression, Expression>() {
      @Override
      public boolean isDefinedAt(Expression e) {
        return e instanceof UnresolvedFunction;
      }

      @Override
      public Expression apply(Expression e) {
        UnresolvedFunction f = (UnresolvedFunction) e;
        List<String> name = existing(list(f.nameParts()));
        return name == null ? f : f.copy(seq(name), f.arguments(), f.isDistinct(), f.filter(), f.ignoreNulls(),
            f.orderingWithinGroup(), f.isInternal());
      }
    });
  }
}
