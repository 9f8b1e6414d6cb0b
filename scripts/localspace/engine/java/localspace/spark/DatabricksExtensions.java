package localspace.spark;

import org.apache.spark.sql.SparkSessionExtensions;
import scala.Function1;
import scala.runtime.BoxedUnit;

/**
 * {@code spark.sql.extensions} entry: puts {@link DatabricksParser} in front of Spark's (and
 * Delta's) SQL parser, so statements only Databricks knows are understood whichever road the
 * SQL text takes into the JVM, and resolves permanent views with Unity Catalog names ({@link
 * UnityViews}); a cloned session (a stream's) starts in its parent's catalog and schema
 * ({@link ClonedNamespace}); Delta learns the table properties only Databricks documents
 * ({@link DatabricksTableProperties}).
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
    extensions.injectTableFunction(ReadFiles.description());
    return BoxedUnit.UNIT;
  }
}
