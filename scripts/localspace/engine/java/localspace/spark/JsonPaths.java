package localspace.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.UnresolvedExtractValue;
import org.apache.spark.sql.catalyst.analysis.UnresolvedFunction;
import org.apache.spark.sql.catalyst.analysis.UnresolvedStar;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.SemiStructuredExtract;
import org.apache.spark.sql.catalyst.expressions.objects.StaticInvoke;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.VariantType;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Function1;
import scala.Option;
import scala.Tuple3;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractPartialFunction;

/**
 * {@code raw:store.bicycle.price} on a JSON string column (Databricks SQL reference, "JSON path
 * expression", https://docs.databricks.com/sql/language-manual/sql-ref-json-path-expression.html).
 * Spark 4.1's grammar already parses the {@code :} operator (into {@code SemiStructuredExtract},
 * named by the path's last field, as Databricks names the column) but resolves it for VARIANT
 * only and fails on a STRING with an internal error. Here the extraction is handed to a
 * function that waits until its column is resolved: a VARIANT goes back to Spark's own
 * extraction, a STRING is navigated as the reference says: a dot-notation field matches in any
 * case (two fields that differ only in case are an error), {@code ['field']} matches exactly,
 * {@code [n]} indexes an array, {@code [*]} takes every element (flattening nested wildcards into
 * one array), a missing field or a JSON {@code null} is SQL NULL, strings come back without their
 * quotes and objects and arrays as JSON text.
 */
public final class JsonPaths {
  private JsonPaths() {}

  static final String FUNCTION = "localspace_json_path";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, List<Step>> PARSED = new ConcurrentHashMap<>();

  /** One step of a path: a field (exact or in any case), an index, or every element. */
  private record Step(String field, boolean exact, int index, boolean all) {}

  /** Every {@code :} extraction in a parsed plan, pointed at {@link #FUNCTION}. */
  static LogicalPlan atParse(LogicalPlan plan) {
    return (LogicalPlan) plan.transformAllExpressionsWithSubqueries(REWRITE);
  }

  static Expression atParse(Expression expression) {
    return expression.transformDown(REWRITE);
  }

  private static final AbstractPartialFunction<Expression, Expression> REWRITE =
      new AbstractPartialFunction<>() {
        @Override
        public boolean isDefinedAt(Expression e) {
          return e instanceof SemiStructuredExtract || wildcard(e) != null;
        }

        @Override
        public Expression apply(Expression e) {
          if (e instanceof SemiStructuredExtract) {
            SemiStructuredExtract s = (SemiStructuredExtract) e;
            return call(s.child(), s.field());
          }
          return wildcard(e);
        }
      };

  private static Expression call(Expression column, String path) {
    List<Expression> args = List.of(column, Literal.create(path, DataTypes.StringType));
    return new UnresolvedFunction(seq(List.of(FUNCTION)), seq(args), false, Option.empty(), false,
        seq(List.of()), false);
  }

  /**
   * {@code raw:a[*].b}: Spark's grammar stops the path at {@code [*]} and parses the rest as
   * ordinary extractions over it; they are folded back into one path, named by its last field.
   */
  private static Expression wildcard(Expression e) {
    List<String> suffix = new ArrayList<>();
    boolean star = false;
    Expression at = e;
    while (at instanceof UnresolvedExtractValue) {
      UnresolvedExtractValue x = (UnresolvedExtractValue) at;
      if (x.extraction() instanceof UnresolvedStar) {
        star = true;
        suffix.add(0, "[*]");
      } else if (x.extraction() instanceof Literal && x.extraction().dataType() instanceof IntegerType) {
        suffix.add(0, "[" + x.extraction().eval(null) + "]");
      } else if (x.extraction() instanceof Literal) {
        suffix.add(0, "." + x.extraction().eval(null));
      } else {
        return null;
      }
      at = x.child();
    }
    if (!star || !(at instanceof Alias) || !(((Alias) at).child() instanceof SemiStructuredExtract)) {
      return null;
    }
    SemiStructuredExtract s = (SemiStructuredExtract) ((Alias) at).child();
    String last = ((Alias) at).name();
    for (String step : suffix) {
      last = step.startsWith(".") ? step.substring(1) : last;
    }
    return new Alias(call(s.child(), s.field() + String.join("", suffix)), last,
        NamedExpression.newExprId(), seq(List.of()), Option.empty(), seq(List.of()));
  }

  public static Tuple3<FunctionIdentifier, ExpressionInfo, Function1<Seq<Expression>, Expression>> description() {
    ExpressionInfo info = new ExpressionInfo(JsonPaths.class.getName(), null, FUNCTION,
        "column:path - a field of a JSON string (the : operator)", "", "", "", "json_funcs", "", "", "built-in");
    Function1<Seq<Expression>, Expression> builder = JsonPaths::resolved;
    return new Tuple3<>(new FunctionIdentifier(FUNCTION), info, builder);
  }

  /** The extraction once its column has a type (Spark resolves a call's arguments first). */
  private static Expression resolved(Seq<Expression> arguments) {
    Expression column = arguments.apply(0);
    String path = arguments.apply(1).eval(null).toString();
    if (column.dataType() instanceof VariantType) {
      return new SemiStructuredExtract(column, path);
    }
    if (!(column.dataType() instanceof StringType)) {
      String name = column instanceof Attribute ? ((Attribute) column).name() : column.sql();
      throw new IllegalArgumentException("[INVALID_EXTRACT_BASE_FIELD_TYPE] The : operator extracts a "
          + "field from a JSON STRING or a VARIANT, but " + name + " is " + column.dataType().sql()
          + (column.dataType() instanceof StructType ? "; name a STRUCT's field as " + name + ".field" : ""));
    }
    steps(path);  // a malformed path fails at analysis, not per row
    return new StaticInvoke(JsonPaths.class, DataTypes.StringType, "extract", arguments,
        seq(List.of()), true, true, true, Option.empty());
  }

  /** The value at {@code path} in the JSON text {@code json}, as the reference describes. */
  public static UTF8String extract(UTF8String json, UTF8String path) {
    JsonNode root;
    try {
      root = JSON.readTree(json.toString());
    } catch (java.io.IOException e) {
      return null;  // not JSON: NULL, as get_json_object answers
    }
    List<JsonNode> found = new ArrayList<>(List.of(root));
    boolean many = false;
    for (Step step : steps(path.toString())) {
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode node : found) {
        if (step.all()) {
          node.elements().forEachRemaining(next::add);
        } else {
          JsonNode child = step.field() == null ? node.get(step.index()) : field(node, step);
          if (child != null) {
            next.add(child);
          }
        }
      }
      many |= step.all();
      found = next;
    }
    if (many) {
      ArrayNode array = JSON.createArrayNode();
      found.forEach(array::add);
      return found.isEmpty() ? null : UTF8String.fromString(array.toString());
    }
    if (found.isEmpty() || found.get(0) == null || found.get(0).isNull()) {
      return null;
    }
    JsonNode value = found.get(0);
    return UTF8String.fromString(value.isTextual() ? value.textValue() : value.toString());
  }

  private static JsonNode field(JsonNode node, Step step) {
    if (!node.isObject() || step.exact()) {
      return node.isObject() ? node.get(step.field()) : null;
    }
    JsonNode match = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (entry.getKey().equalsIgnoreCase(step.field())) {
        if (match != null) {
          throw new IllegalArgumentException("[AMBIGUOUS_REFERENCE_TO_FIELDS] The JSON field `" + step.field()
              + "` matches more than one field when case is ignored; name it exactly with :['"
              + entry.getKey() + "']");
        }
        match = entry.getValue();
      }
    }
    return match;
  }

  /** Spark's rendering of the path ({@code $.a['b c'][0][*]}) as steps. */
  private static List<Step> steps(String path) {
    return PARSED.computeIfAbsent(path, p -> {
      List<Step> out = new ArrayList<>();
      int i = p.startsWith("$") ? 1 : 0;
      while (i < p.length()) {
        char c = p.charAt(i);
        if (c == '.') {
          int end = i + 1;
          while (end < p.length() && p.charAt(end) != '.' && p.charAt(end) != '[') {
            end++;
          }
          out.add(new Step(p.substring(i + 1, end), false, -1, false));
          i = end;
        } else if (c == '[' && p.startsWith("[*]", i)) {
          out.add(new Step(null, false, -1, true));
          i += 3;
        } else if (c == '[' && i + 1 < p.length() && (p.charAt(i + 1) == '\'' || p.charAt(i + 1) == '"')) {
          char quote = p.charAt(i + 1);
          int end = p.indexOf(quote + "]", i + 2);
          if (end < 0) {
            throw malformed(p);
          }
          out.add(new Step(p.substring(i + 2, end), true, -1, false));
          i = end + 2;
        } else if (c == '[') {
          int end = p.indexOf(']', i);
          if (end < 0 || !p.substring(i + 1, end).trim().matches("\\d+")) {
            throw malformed(p);
          }
          out.add(new Step(null, false, Integer.parseInt(p.substring(i + 1, end).trim()), false));
          i = end + 1;
        } else {
          throw malformed(p);
        }
      }
      return out;
    });
  }

  private static IllegalArgumentException malformed(String path) {
    return new IllegalArgumentException("[INVALID_JSON_PATH] The JSON path " + path.replaceFirst("^\\$", "")
        + " is not valid: write fields as .name or ['name'], elements as [0] or [*]");
  }

  private static <T> Seq<T> seq(List<T> items) {
    return CollectionConverters.asScala(items).toList();
  }
}
