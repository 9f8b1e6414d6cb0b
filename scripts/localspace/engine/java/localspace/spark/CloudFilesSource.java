package localspace.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.execution.datasources.DataSource;
import org.apache.spark.sql.execution.streaming.Source;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.sources.StreamSourceProvider;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Auto Loader ({@code spark.readStream.format("cloudFiles")}) as a Spark streaming source:
 * Spark's own file stream source for the format named by {@code cloudFiles.format}, with the
 * Auto Loader behaviour pipelines rely on (Databricks docs, "Auto Loader options" and
 * "Configure schema inference and evolution in Auto Loader"):
 *
 * <ul>
 *   <li>a landing folder that does not exist yet is waited for (the stream starts empty);
 *   <li>without {@code .schema(...)} the schema is inferred from the files there, once, and
 *       stored under {@code cloudFiles.schemaLocation}, which later starts reuse; JSON and
 *       CSV columns are strings unless {@code cloudFiles.inferColumnTypes} is true;
 *       {@code cloudFiles.schemaHints} override inferred types; a {@code _rescued_data}
 *       column is added and receives records that do not parse;
 *   <li>{@code cloudFiles.maxFilesPerTrigger} and {@code maxBytesPerTrigger} bound a batch.
 * </ul>
 *
 * <p>It is a file format to Spark (the class extends one) only so that a stream from it offers
 * the {@code _metadata} column ({@code _metadata.file_path}), as Auto Loader streams do; the
 * rows always come from the file stream source built in {@link #createSource}.
 *
 * <p>Not emulated (they fail with a line that says so): {@code includeExistingFiles=false},
 * file notification mode, schema evolution by restarting the stream.
 */
public class CloudFilesSource extends org.apache.spark.sql.execution.datasources.json.JsonFileFormat
    implements DataSourceRegister, StreamSourceProvider {
  private static final String RESCUED = "_rescued_data";
  private static final Set<String> TEXT_FORMATS = Set.of("json", "csv", "xml");

  @Override
  public String shortName() {
    return "cloudFiles";
  }

  private static Map<String, String> java(scala.collection.immutable.Map<String, String> params) {
    Map<String, String> out = new HashMap<>();
    CollectionConverters.asJava(params).forEach((k, v) -> out.put(k, v));
    return out;
  }

  private static String option(Map<String, String> params, String key) {
    for (Map.Entry<String, String> e : params.entrySet()) {
      if (e.getKey().equalsIgnoreCase(key)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static String format(Map<String, String> params) {
    String format = option(params, "cloudFiles.format");
    if (format == null) {
      throw new IllegalArgumentException("[CF_UNKNOWN_FILE_FORMAT] Auto Loader needs the option cloudFiles.format (json, csv, parquet, ...)");
    }
    if ("false".equalsIgnoreCase(option(params, "cloudFiles.includeExistingFiles"))) {
      throw new UnsupportedOperationException("localspace does not emulate cloudFiles.includeExistingFiles=false (README section 'What each engine does')");
    }
    if ("true".equalsIgnoreCase(option(params, "cloudFiles.useNotifications"))) {
      throw new UnsupportedOperationException("localspace does not emulate Auto Loader's file notification mode (README section 'What each engine does')");
    }
    return format.toLowerCase(Locale.ROOT);
  }

  private static String path(Map<String, String> params) throws IOException {
    String path = option(params, "path");
    if (path == null) {
      throw new IllegalArgumentException("Auto Loader needs a path: .load(\"/Volumes/...\")");
    }
    Path folder = new Path(path);
    FileSystem fs = folder.getFileSystem(SparkSession.active().sessionState().newHadoopConf());
    if (!fs.exists(folder)) {
      fs.mkdirs(folder); // Auto Loader waits for files in a folder that is not there yet
    }
    return path;
  }

  /** The reader options of the underlying file source. */
  private static scala.collection.immutable.Map<String, String> fileOptions(Map<String, String> params, StructType schema) {
    Map<String, String> out = new HashMap<>();
    params.forEach((k, v) -> {
      if (!k.toLowerCase(Locale.ROOT).startsWith("cloudfiles.")) {
        out.put(k, v);
      }
    });
    String maxFiles = option(params, "cloudFiles.maxFilesPerTrigger");
    out.put("maxFilesPerTrigger", maxFiles == null ? "1000" : maxFiles);
    String maxBytes = option(params, "cloudFiles.maxBytesPerTrigger");
    if (maxBytes != null) {
      out.put("maxBytesPerTrigger", maxBytes);
    }
    if (schema != null && List.of(schema.fieldNames()).contains(RESCUED)) {
      out.put("mode", "PERMISSIVE");
      out.put("columnNameOfCorruptRecord", RESCUED);
    }
    return scala.collection.immutable.Map.from(CollectionConverters.asScala(out));
  }

  @Override
  public Tuple2<String, StructType> sourceSchema(SQLContext context, Option<StructType> userSchema,
      String provider, scala.collection.immutable.Map<String, String> parameters) {
    Map<String, String> params = java(parameters);
    String format = format(params);
    try {
      String path = path(params);
      StructType schema = userSchema.isDefined() ? userSchema.get() : storedOrInferred(params, format, path);
      return new Tuple2<>(shortName(), schema);
    } catch (IOException e) {
      throw new IllegalStateException("Auto Loader cannot read its folder: " + e.getMessage(), e);
    }
  }

  private static StructType storedOrInferred(Map<String, String> params, String format, String path) throws IOException {
    SparkSession spark = SparkSession.active();
    String location = option(params, "cloudFiles.schemaLocation");
    Path stored = location == null ? null : new Path(new Path(location, "_schemas"), "0");
    if (stored != null) {
      FileSystem fs = stored.getFileSystem(spark.sessionState().newHadoopConf());
      if (fs.exists(stored)) {
        try (var in = fs.open(stored)) {
          return (StructType) DataType.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
      }
    }
    StructType inferred;
    try {
      Map<String, String> readOptions = new HashMap<>(params);
      readOptions.keySet().removeIf(k -> k.toLowerCase(Locale.ROOT).startsWith("cloudfiles.") || k.equalsIgnoreCase("path"));
      readOptions.put("columnNameOfCorruptRecord", RESCUED);
      inferred = spark.read().format(format).options(readOptions).load(path).schema();
    } catch (Exception e) { // Spark's AnalysisException: no files to infer from
      throw new IllegalArgumentException("[CF_EMPTY_DIR_FOR_SCHEMA_INFERENCE] Cannot infer the schema when the input path `"
          + path + "` is empty. Try to start the stream when there are files in the input path, or specify the schema.");
    }
    boolean typed = "true".equalsIgnoreCase(option(params, "cloudFiles.inferColumnTypes"));
    StructType schema = new StructType();
    for (StructField field : inferred.fields()) {
      if (field.name().equals(RESCUED)) {
        continue; // records that did not parse while inferring; the column goes last
      }
      DataType type = TEXT_FORMATS.contains(format) && !typed ? DataTypes.StringType : field.dataType();
      schema = schema.add(field.name(), type, true);
    }
    schema = withHints(schema, option(params, "cloudFiles.schemaHints"));
    if (!List.of(schema.fieldNames()).contains(RESCUED)) {
      schema = schema.add(RESCUED, DataTypes.StringType, true);
    }
    if (stored != null) {
      FileSystem fs = stored.getFileSystem(spark.sessionState().newHadoopConf());
      try (FSDataOutputStream out = fs.create(stored, true)) {
        out.write(schema.json().getBytes(StandardCharsets.UTF_8));
      }
    }
    return schema;
  }

  /** {@code "id BIGINT, ts TIMESTAMP"}: those columns get those types (added if absent). */
  static StructType withHints(StructType schema, String hints) {
    if (hints == null || hints.isBlank()) {
      return schema;
    }
    StructType hinted = StructType.fromDDL(hints);
    StructType out = new StructType();
    for (StructField field : schema.fields()) {
      Option<StructField> hint = hinted.find(h -> h.name().equalsIgnoreCase(field.name()));
      out = out.add(hint.isDefined() ? hint.get() : field);
    }
    for (StructField hint : hinted.fields()) {
      if (!List.of(out.fieldNames()).contains(hint.name())) {
        out = out.add(hint);
      }
    }
    return out;
  }

  @Override
  public Source createSource(SQLContext context, String metadataPath, Option<StructType> schema,
      String provider, scala.collection.immutable.Map<String, String> parameters) {
    Map<String, String> params = java(parameters);
    String format = format(params);
    StructType resolved = schema.isDefined() ? schema.get() : sourceSchema(context, schema, provider, parameters)._2();
    String path;
    try {
      path = path(params);
    } catch (IOException e) {
      throw new IllegalStateException("Auto Loader cannot read its folder: " + e.getMessage(), e);
    }
    scala.collection.immutable.Seq<String> paths = CollectionConverters.asScala(List.of(path)).toList();
    scala.collection.immutable.Seq<String> noPartitions = CollectionConverters.asScala(List.<String>of()).toList();
    DataSource files = new DataSource(SparkSession.active(), format, paths, Option.apply(resolved),
        noPartitions, Option.empty(), fileOptions(params, resolved), Option.empty());
    return files.createSource(metadataPath);
  }
}
