package localspace.spark;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.catalyst.analysis.UnresolvedAttribute;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.WindowExpression;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.Window;
import org.apache.spark.sql.catalyst.rules.Rule;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractPartialFunction;

/**
 * {@code SELECT ... QUALIFY condition}: keeps the rows of a query block whose condition over its
 * window functions holds (Databricks SQL reference, "QUALIFY clause",
 * https://docs.databricks.com/sql/language-manual/sql-ref-syntax-qry-select-qualify.html), the
 * usual way a silver table keeps the newest row per key. Spark 4.1's grammar has no QUALIFY.
 *
 * <p>Before Spark parses the text, each QUALIFY clause leaves it and its condition becomes the
 * last item of the block's select list, named {@value #MARKER}N ({@link #moved}). The analyzer
 * then evaluates it where the block's window functions are, with the block's columns and aliases
 * in scope; this rule filters the block on that item and, once the filter is resolved, projects
 * the item away. So the rows are filtered after the window functions and before DISTINCT, ORDER
 * BY and LIMIT, as the reference orders a query's clauses.
 */
public final class Qualify extends Rule<LogicalPlan> {
  static final String MARKER = "__localspace_qualify_";
  // Items are named apart by a random suffix: a view's stored text keeps its own.
  private static final java.util.Random RANDOM = new java.security.SecureRandom();
  // What ends a QUALIFY condition in its block (SELECT's clauses after it, set operators).
  private static final Set<String> AFTER = Set.of("ORDER", "SORT", "CLUSTER", "DISTRIBUTE", "LIMIT",
      "OFFSET", "WINDOW", "UNION", "EXCEPT", "INTERSECT", "MINUS");

  /** A word of the SQL text (outside literals and comments), with its parenthesis depth. */
  private record Word(String upper, int start, int end, int depth) {}

  /** The text with every QUALIFY clause moved into its select list; the same text when none. */
  static String moved(String sql) {
    if (!sql.toUpperCase(Locale.ROOT).contains("QUALIFY")) {
      return sql;
    }
    String text = sql;
    for (int n = 0; ; n++) {
      String next = moveFirst(text, n);
      if (next == null) {
        return text;
      }
      text = next;
    }
  }

  /** The text with its first QUALIFY clause moved, or null when it has none. */
  private static String moveFirst(String sql, int n) {
    List<Word> words = words(sql);
    int q = -1;
    for (int i = 0; i < words.size() && q < 0; i++) {
      Word w = words.get(i);  // not t.qualify, a column's name
      q = w.upper().equals("QUALIFY") && (w.start() == 0 || sql.charAt(w.start() - 1) != '.') ? i : -1;
    }
    if (q < 0) {
      return null;
    }
    Word qualify = words.get(q);
    int select = q;
    while (select >= 0 && !(words.get(select).upper().equals("SELECT") && words.get(select).depth() == qualify.depth())) {
      select--;
    }
    if (select < 0) {
      return null;  // not in a query block: Spark's parser reports it
    }
    int insert = -1;
    for (int i = select + 1; i < q && insert < 0; i++) {
      if (words.get(i).upper().equals("FROM") && words.get(i).depth() == qualify.depth()) {
        insert = words.get(i).start();
      }
    }
    if (insert < 0) {
      return null;  // no FROM before it: a column named qualify, or Spark's parser reports it
    }
    int end = conditionEnd(sql, qualify);
    for (int i = q + 1; i < words.size(); i++) {
      Word w = words.get(i);
      if (w.start() >= end) {
        break;
      }
      if (w.depth() == qualify.depth() && AFTER.contains(w.upper())) {
        end = w.start();
        break;
      }
    }
    String condition = sql.substring(qualify.end(), end).trim();
    return sql.substring(0, insert) + ", (" + condition + ") AS " + MARKER + n + "_" + Long.toHexString(RANDOM.nextLong() >>> 1) + " "
        + sql.substring(insert, qualify.start()) + " " + sql.substring(end);
  }

  /** Where the QUALIFY clause's block ends: the parenthesis that closes it, ';' or the end of the text. */
  private static int conditionEnd(String sql, Word qualify) {
    int depth = qualify.depth();
    for (int i = SqlText.skip(sql, qualify.end()); i < sql.length(); i = SqlText.skip(sql, i + 1)) {
      char c = sql.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')' && depth-- == qualify.depth()) {
        return i;
      } else if (c == ';' && depth == qualify.depth()) {
        return i;
      }
    }
    return sql.length();
  }

  private static List<Word> words(String sql) {
    List<Word> out = new ArrayList<>();
    int depth = 0;
    for (int i = SqlText.skip(sql, 0); i < sql.length(); i = SqlText.skip(sql, i)) {
      char c = sql.charAt(i);
      if (Character.isLetterOrDigit(c) || c == '_') {
        int j = i;
        while (j < sql.length() && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
          j++;
        }
        out.add(new Word(sql.substring(i, j).toUpperCase(Locale.ROOT), i, j, depth));
        i = j;
      } else {
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        i++;
      }
    }
    return out;
  }

  /** The QUALIFY item a select list ends with, or null. */
  private static String marker(LogicalPlan node) {
    Seq<NamedExpression> items = node instanceof Project ? ((Project) node).projectList()
        : node instanceof Aggregate ? ((Aggregate) node).aggregateExpressions() : null;
    if (items == null || items.isEmpty()) {
      return null;
    }
    String name = nameOf((Expression) (Object) items.last());
    return name.startsWith(MARKER) ? name : null;
  }

  /** An item's name, or "" while it has none (an unresolved star or alias). */
  private static String nameOf(Expression item) {
    return item instanceof Alias ? ((Alias) item).name()
        : item instanceof Attribute && item.resolved() ? ((Attribute) item).name()
        : item instanceof UnresolvedAttribute ? ((UnresolvedAttribute) item).name() : "";
  }

  /** The marker a filter keeps rows on, or null. */
  private static String filterMarker(LogicalPlan node) {
    if (!(node instanceof Filter)) {
      return null;
    }
    String name = nameOf(((Filter) node).condition());
    return name.startsWith(MARKER) ? name : null;
  }

  /** Whether the block computes a window function (before or after Spark moves it into a Window). */
  private static boolean windowed(LogicalPlan block) {
    for (LogicalPlan node = block; ; node = node.children().head()) {
      if (node instanceof Window || node.expressions().exists(e -> e.find(x -> x instanceof WindowExpression).isDefined())) {
        return true;
      }
      if (!(node instanceof Project || node instanceof Aggregate) || node.children().size() != 1) {
        return false;
      }
    }
  }

  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    return new Pass(plan).run();
  }

  /**
   * One application of the rule. Spark computes window functions in projections it adds under
   * the block's own (ExtractWindowExpressions), and they end with the QUALIFY item too: only the
   * topmost projection with an item is filtered on it, once.
   */
  private static final class Pass {
    private final LogicalPlan plan;
    private final Set<String> filtered = new HashSet<>();

    Pass(LogicalPlan plan) {
      this.plan = plan;
      plan.foreach(node -> {
        filtered.add(String.valueOf(filterMarker(node)));
        return null;
      });
    }

    LogicalPlan run() {
      LogicalPlan root = wrapped(null, wrapped(null, plan));
      return root.resolveOperatorsDown(new AbstractPartialFunction<LogicalPlan, LogicalPlan>() {
        @Override
        public boolean isDefinedAt(LogicalPlan node) {
          return node.children().exists(child -> filters(child) || projects(node, child));
        }

        @Override
        public LogicalPlan apply(LogicalPlan node) {
          List<LogicalPlan> children = new ArrayList<>();
          for (LogicalPlan child : CollectionConverters.asJava(node.children())) {
            children.add(wrapped(node, child));
          }
          return node.withNewChildren(CollectionConverters.asScala(children).toList());
        }
      });
    }

    /** A block ending with a QUALIFY item that nothing filters on yet. */
    private boolean filters(LogicalPlan child) {
      String item = marker(child);
      return item != null && !filtered.contains(item);
    }

    /** A resolved QUALIFY filter whose parent does not yet project its item away. */
    private static boolean projects(LogicalPlan parent, LogicalPlan child) {
      String item = filterMarker(child);
      boolean dropped = parent instanceof Project && marker(parent) == null
          && ((Project) parent).projectList().forall(e -> !nameOf((Expression) (Object) e).equals(item));
      return item != null && child.resolved() && !dropped;
    }

    private LogicalPlan wrapped(LogicalPlan parent, LogicalPlan child) {
      if (filters(child)) {
        filtered.add(marker(child));
        return new Filter(UnresolvedAttribute.quoted(marker(child)), child);
      }
      if (projects(parent, child)) {
        if (!windowed(((Filter) child).child())) {
          throw new IllegalArgumentException("QUALIFY needs a window function in the "
              + "SELECT list or in the QUALIFY clause (Databricks SQL reference, \"QUALIFY clause\"); "
              + "to filter rows without one, use WHERE or HAVING");
        }
        String item = filterMarker(child);
        List<NamedExpression> columns = new ArrayList<>();
        for (Attribute column : CollectionConverters.asJava(child.output())) {
          if (!column.name().equals(item)) {
            columns.add(column);
          }
        }
        return new Project(CollectionConverters.asScala(columns).toList(), child);
      }
      return child;
    }
  }
}
