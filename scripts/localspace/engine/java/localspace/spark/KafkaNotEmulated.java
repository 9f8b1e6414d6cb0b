package localspace.spark;

import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.execution.streaming.Source;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.sources.StreamSourceProvider;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.Tuple2;

/**
 * {@code format("kafka")}: Databricks clusters ship the Kafka connector; localspace has no
 * broker to read from, so a pipeline that reads Kafka says so in one line instead of
 * Spark's "Failed to find the data source".
 */
public class KafkaNotEmulated implements DataSourceRegister, StreamSourceProvider {
  private static UnsupportedOperationException refused() {
    return new UnsupportedOperationException("localspace does not emulate Kafka sources: land the "
        + "payloads as files in a volume and read them with Auto Loader (README section 'What each engine does')");
  }

  @Override
  public String shortName() {
    return "kafka";
  }

  @Override
  public Tuple2<String, StructType> sourceSchema(SQLContext context, Option<StructType> schema,
      String provider, scala.collection.immutable.Map<String, String> parameters) {
    throw refused();
  }

  @Override
  public Source createSource(SQLContext context, String metadataPath, Option<StructType> schema,
      String provider, scala.collection.immutable.Map<String, String> parameters) {
    throw refused();
  }
}
