package localspace.spark;

import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry$;
import org.apache.spark.sql.catalyst.analysis.TableFunctionRegistry$;
import scala.Function1;
import scala.runtime.BoxedUnit;

/**
 * {@code spark.sql.extensions} entry: puts {@link DatabricksParser} in front of Spark's (and
 * Delta's) SQL parser, so statements only Databricks knows are understood whichever road the
 * SQL text takes into the JVM, and resolves permanent views with Unity Catalog names ({@link
 * UnityViews}); a cloned session (a stream's) starts in its parent's catalog and schema
 * ({@link ClonedNamespace}); Delta learns the table properties only Databricks documents
 * ({@link DatabricksTableProperties}); {@code QUALIFY} filters on window functions ({@link
 * Qualify}); {@code raw:a.b} reads JSON strings ({@link JsonPaths}).
 */
public class DatabricksExtensions implements Function1<SparkSessionExtensions, BoxedUnit> {
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    DatabricksTableProperties.register();
    extensions.injectParser((session, parser) -> new DatabricksParser(session, parser));
    extensions.injectResolutionRule(session -> new UnityViews.Reads());
    extensions.injectResolutionRule(session -> new DetailNames());
    extensions.injectResolutionRule(ClonedNamespace::inherit);
    extensions.injectResolutionRule(session -> new InformationSchema());
    extensions.injectResolutionRule(session -> new Qualify());
    // Built in, not only injected: a permanent view may call them (Spark counts a function
    // only the session has as temporary and refuses the view, INVALID_TEMP_OBJ_REFERENCE).
    var readFiles = ReadFiles.description();
    TableFunctionRegistry$.MODULE$.builtin().registerFunction(readFiles._1(), readFiles._2(), readFiles._3());
    extensions.injectTableFunction(readFiles);
    var jsonPath = JsonPaths.description();
    FunctionRegistry$.MODULE$.builtin().registerFunction(jsonPath._1(), jsonPath._2(), jsonPath._3());
    extensions.injectFunction(jsonPath);
    return BoxedUnit.UNIT;
  }
}
