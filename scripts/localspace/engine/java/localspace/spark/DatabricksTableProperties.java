package localspace.spark;

import java.util.Locale;
import java.util.Set;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.sql.delta.DeltaConfigs$;
import scala.Function1;
import scala.collection.immutable.Nil$;
import scala.collection.immutable.Seq;

/**
 * Delta table properties that Databricks documents but open-source Delta does not know
 * (Databricks docs, "Table properties reference"). Open-source Delta refuses every unknown
 * {@code delta.*} key with DELTA_UNKNOWN_CONFIGURATION; a Databricks workspace accepts these
 * and real pipelines set them in TBLPROPERTIES. They are registered with Delta's own
 * {@code DeltaConfigs.buildConfig}, so Delta checks their values and still refuses keys neither
 * knows. They are stored, not acted on: file sizes and codecs are tuning, not results.
 */
final class DatabricksTableProperties {
  private static final Set<String> CODECS =
      Set.of("snappy", "gzip", "lz4", "lz4_raw", "zstd", "brotli", "lzo", "uncompressed", "none");

  private DatabricksTableProperties() {
  }

  static void register() {
    // delta.targetFileSize: a size in bytes, with a unit or without ("128mb", "134217728").
    define("targetFileSize", "", DatabricksTableProperties::positiveSize,
        "needs a positive size, such as '128mb'");
    define("tuneFileSizesForRewrites", "false",
        text -> text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false"), "needs true or false");
    define("parquet.compression.codec", "",
        text -> text.isEmpty() || CODECS.contains(text.toLowerCase(Locale.ROOT)),
        "needs one of " + String.join(", ", CODECS.stream().sorted().toList()));
  }

  private static Object positiveSize(String text) {
    try {
      return text.isEmpty() || JavaUtils.byteStringAsBytes(text) > 0;
    } catch (NumberFormatException notASize) {
      return false;
    }
  }

  /** A property kept as its text, valid when {@code valid} says so. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void define(String key, String defaultValue, Function1<String, Object> valid, String help) {
    if (DeltaConfigs$.MODULE$.entries().containsKey("delta." + key.toLowerCase(Locale.ROOT))) {
      return;  // a later Delta knows it: its own definition wins
    }
    Function1<String, String> asText = text -> text;
    DeltaConfigs$.MODULE$.buildConfig(key, defaultValue, asText, valid, help, true, (Seq) Nil$.MODULE$);
  }
}
