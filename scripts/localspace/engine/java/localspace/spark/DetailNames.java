package localspace.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.parser.ParseException;
import org.apache.spark.sql.catalyst.plans.logical.DescribeRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.catalyst.trees.TreeNodeTag;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.execution.command.DescribeTableCommand;
import org.apache.spark.sql.delta.commands.DescribeDeltaDetailCommand;
import scala.runtime.AbstractPartialFunction;

/**
 * {@code DESCRIBE DETAIL dev.sbit.users} answers {@code name = dev.sbit.users}, and {@code
 * DESCRIBE TABLE EXTENDED} its {@code Name} row the same, as on Databricks. Delta takes the
 * name from the session-catalog table behind the schema ({@code spark_catalog.dev__sbit.users},
 * see {@link UnityCatalog}), so this analyzer rule puts a projection over those commands that
 * names the table by its Unity Catalog name; {@code DESCRIBE FUNCTION dev.sbit.f} and {@code SHOW
 * CREATE TABLE dev.sbit.v} of a view (Spark writes {@code CREATE VIEW dev__sbit.v}) the same.
 */
public final class DetailNames extends Rule<LogicalPlan> {
  private static final TreeNodeTag<Object> NAMED = new TreeNodeTag<>("localspace.detailNamed");
  // spark_catalog.dev__sbit.users -> dev.sbit.users (in a SQL string literal \\. is \.)
  // (DESCRIBE FUNCTION's first row is "Function: spark_catalog.dev__sbit.f", see UnityFunctions)
  private static final String RENAMED_VALUE =
      "regexp_replace(`%1$s`, '^(Function: )?spark_catalog\\\\.([a-z0-9_]+?)__([a-z0-9_]+)\\\\.', '$1$2.$3.')";
  private static final String RENAMED = RENAMED_VALUE + " AS `%1$s`";
  private static final String VIEW_RENAMED =
      "regexp_replace(`%1$s`, '^(CREATE VIEW )([a-z0-9_]+?)__([a-z0-9_]+)\\\\.', '$1$2.$3.') AS `%1$s`";

  /** The column of each command that holds a table's name. */
  private static String nameColumn(LogicalPlan node) {
    if (node instanceof DescribeDeltaDetailCommand) {
      return "name";
    }
    if (node instanceof org.apache.spark.sql.execution.command.DescribeFunctionCommand) {
      return "function_desc";
    }
    if (node instanceof org.apache.spark.sql.execution.command.ShowCreateTableCommand) {
      return "createtab_stmt";
    }
    return node instanceof DescribeRelation || node instanceof DescribeTableCommand ? "data_type" : null;
  }

  private static NamedExpression renamed(String column) {
    return parsed(String.format(column.equals("createtab_stmt") ? VIEW_RENAMED : RENAMED, column));
  }

  private static NamedExpression parsed(String expression) {
    return (NamedExpression) parsedExpression(expression);
  }

  private static Expression parsedExpression(String expression) {
    try {
      return SparkSession.active().sessionState().sqlParser().parseExpression(expression);
    } catch (ParseException e) {
      throw new IllegalStateException("localspace: " + expression + " does not parse", e);
    }
  }

  /**
   * DESCRIBE TABLE EXTENDED of a table Spark describes from its session catalog (a view, a CSV
   * table of hive_metastore) has Catalog and Database rows of {@code spark_catalog} and {@code
   * dev__sbit}: they name the Unity Catalog catalog and schema ({@code dev}, {@code sbit}).
   */
  private static NamedExpression describedRows(DescribeTableCommand describe) {
    String database = describe.table().database().getOrElse(() -> "");
    int at = database.indexOf(UnityCatalog.SEPARATOR);
    if (at < 0 || !database.matches("[a-z0-9_]+")) {
      return renamed("data_type");
    }
    return parsed(String.format("CASE WHEN col_name = 'Catalog' AND data_type = 'spark_catalog' THEN '%s' "
        + "WHEN col_name = 'Database' AND data_type = '%s' THEN '%s' ELSE %s END AS data_type",
        database.substring(0, at), database, database.substring(at + UnityCatalog.SEPARATOR.length()),
        String.format(RENAMED_VALUE, "data_type")));
  }

  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    return plan.resolveOperatorsUp(new AbstractPartialFunction<LogicalPlan, LogicalPlan>() {
      @Override
      public boolean isDefinedAt(LogicalPlan node) {
        // a DESCRIBE of a view or file table becomes a DescribeTableCommand once resolved
        return nameColumn(node) != null && node.getTagValue(NAMED).isEmpty()
            && (!(node instanceof DescribeRelation) || node.childrenResolved());
      }

      @Override
      public LogicalPlan apply(LogicalPlan node) {
        node.setTagValue(NAMED, Boolean.TRUE);
        String named = nameColumn(node);
        List<NamedExpression> columns = new ArrayList<>();
        for (Attribute column : scala.jdk.javaapi.CollectionConverters.asJava(node.output())) {
          columns.add(!column.name().equals(named) ? column
              : node instanceof DescribeTableCommand ? describedRows((DescribeTableCommand) node) : renamed(named));
        }
        return new Project(scala.jdk.javaapi.CollectionConverters.asScala(columns).toList(), node);
      }
    });
  }
}
