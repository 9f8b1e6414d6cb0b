package localspace.spark;

import java.util.regex.Pattern;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.UnresolvedFunction;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.classic.SparkSession;

/**
 * Calls of SQL functions only Databricks has, which no open-source component here provides:
 * H3 geospatial indexing ({@code h3_*}), spatial ({@code st_*}), AI functions ({@code ai_*}),
 * {@code vector_search}, {@code http_request}, streaming reads of message buses ({@code
 * read_kafka}, ...). Spark would answer UNRESOLVED_ROUTINE, which reads like a typo in the
 * notebook (Spark raises it as soon as the analyzer meets the call), so calls are checked as
 * the text is parsed and say the function is not emulated instead. A function of the same name
 * that the session has (a UDF the notebook registered) is left to Spark.
 */
final class DatabricksOnlyFunctions {
  private DatabricksOnlyFunctions() {}

  private static final Pattern NAMES = Pattern.compile(
      "(h3|st|ai)_[a-z0-9_]+|vector_search|http_request|read_(kafka|kinesis|pubsub|pulsar|statestore)",
      Pattern.CASE_INSENSITIVE);

  /** The plan as parsed, once its calls are checked (subqueries too). */
  static LogicalPlan atParse(LogicalPlan plan) {
    plan.foreachWithSubqueries(node -> {
      node.expressions().foreach(expression -> {
        atParse(expression);
        return null;
      });
      return null;
    });
    return plan;
  }

  static Expression atParse(Expression expression) {
    expression.foreach(e -> {
      check(e);
      return null;
    });
    return expression;
  }

  private static void check(Expression e) {
    if (!(e instanceof UnresolvedFunction) || ((UnresolvedFunction) e).nameParts().size() != 1) {
      return;
    }
    String name = ((UnresolvedFunction) e).nameParts().head();
    if (NAMES.matcher(name).matches()
        && !SparkSession.active().sessionState().catalog().functionExists(new FunctionIdentifier(name))) {
      throw NotEmulated.refusal("the Databricks SQL function " + name.toLowerCase(java.util.Locale.ROOT)
          + " (only Databricks provides it)");
    }
  }
}
