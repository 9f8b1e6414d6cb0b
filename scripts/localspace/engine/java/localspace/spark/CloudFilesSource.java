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
 * Auto Loader behaviour pipelines rely on (Databricks docs, "Auto Loader options",
 * https://docs.databricks.com/en/ingestion/cloud-object-storage/auto-loader/options.html, and
 * "Configure schema inference and evolution in Auto Loader",
 * https://docs.databricks.com/en/ingestion/cloud-object-storage/auto-loader/schema.html):
 *
 * <ul>
 *   <li>a landing folder that does not exist yet is waited for (the stream starts empty);
 *   <li>without {@code .schema(...)} the schema is inferred from the files there, once, and
 *       stored under {@code cloudFiles.schemaLocation} ({@code _schemas/0}, then one file per
 *       evolution), which later starts reuse; JSON and CSV columns are strings unless
 *       {@code cloudFiles.inferColumnTypes} is true; {@code cloudFiles.schemaHints} override
 *       inferred types (nested: {@code a.b INT}); a {@code _rescued_data} column is added and
 *       receives records that do not parse;
 *   <li>{@code cloudFiles.maxFilesPerTrigger} or {@code maxBytesPerTrigger} bound a batch;
 *   <li>{@code includeExistingFiles} and {@code schemaEvolutionMode}: see {@link AutoLoaderFiles}.
 * </ul>
 *
 * <p>It is a file format to Spark (the class extends one) only so that a stream from it offers
 * the {@code _metadata} column ({@code _metadata.file_path}), as Auto Loader streams do; the
 * rows always come from the file stream source built in {@link #createSource}.
 *
 * <p>Not emulated (they fail with a line that says so): file notification mode,
 * {@code allowOverwrites}, {@code schemaEvolutionMode=rescue}, the avro format (Spark ships
 * it as a separate module).
 */
public class CloudFilesSource extends org.apache.spark.sql.execution.datasources.json.JsonFileFormat
    implements DataSourceRegister, StreamSourceProvider {
  private static final String RESCUED = "_rescued_data";
  private static final Set<String> TEXT_FORMATS = Set.of("json", "csv", "xml");
  /** Formats whose rows are not parsed records: no rescued data column (binaryFile, text). */
  private static final Set<String> FIXED_SCHEMA = Set.of("binaryfile", "text");
  private static final Set<String> FORMATS = Set.of("json", "csv", "xml", "parquet", "orc", "text", "binaryfile");

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
    if ("true".equalsIgnoreCase(option(params, "cloudFiles.useNotifications"))) {
      throw NotEmulated.refusal("Auto Loader's file notification mode");
    }
    if ("true".equalsIgnoreCase(option(params, "cloudFiles.allowOverwrites"))) {
      throw NotEmulated.refusal(
          "cloudFiles.allowOverwrites=true (a file is read once, as with the default false)");
    }
    if ("rescue".equalsIgnoreCase(option(params, "cloudFiles.schemaEvolutionMode"))) {
      throw NotEmulated.refusal(
          "cloudFiles.schemaEvolutionMode=rescue (addNewColumns, failOnNewColumns and none work)");
    }
    if (option(params, "cloudFiles.maxBytesPerTrigger") != null && option(params, "cloudFiles.maxFilesPerTrigger") != null) {
      throw NotEmulated.refusal(
          "cloudFiles.maxFilesPerTrigger together with cloudFiles.maxBytesPerTrigger (set one)");
    }
    String name = format.toLowerCase(Locale.ROOT);
    if (name.equals("avro")) {
      throw NotEmulated.refusal(
          "the avro format (Spark's spark-avro module is not loaded); use json, csv, parquet, orc, text or binaryFile");
    }
    if (!FORMATS.contains(name)) {
      throw new IllegalArgumentException("[CF_UNKNOWN_FILE_FORMAT] Auto Loader cannot read cloudFiles.format `" + format
          + "`: use one of avro, binaryFile, csv, json, orc, parquet, text, xml");
    }
    return name;
  }

  /**
   * Set to {@code none} by localspace's pipeline runner: on Databricks a pipeline restarts a
   * flow that stopped for new columns, which localspace's runner does not, so there a stream
   * keeps the schema it started with unless the flow asks for a mode itself.
   */
  static final String INFERRED_MODE_CONF = "localspace.cloudFiles.inferredSchemaEvolutionMode";

  /** The schema evolution mode: addNewColumns when the schema is inferred, else none. */
  private static String mode(Map<String, String> params, boolean inferred) {
    String mode = option(params, "cloudFiles.schemaEvolutionMode");
    if (mode != null || !inferred) {
      return mode != null ? mode : "none";
    }
    return SparkSession.active().conf().get(INFERRED_MODE_CONF, "addNewColumns");
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

  /**
   * Auto Loader finds files in nested folders ({@code /landing/2026/01/02/x.json}: the docs'
   * "Auto Loader directory listing mode" page lists such paths), which Spark's file source does
   * only with {@code recursiveFileLookup}; that option turns off partition folders, so it is
   * set only when there are none and the stream does not set it itself.
   */
  private static Map<String, String> withNested(Map<String, String> params, String path) {
    if (option(params, "recursiveFileLookup") != null || !partitionColumns(params, path).isEmpty()) {
      return params;
    }
    Map<String, String> out = new HashMap<>(params);
    out.put("recursiveFileLookup", "true");
    return out;
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
    String maxBytes = option(params, "cloudFiles.maxBytesPerTrigger");
    if (maxBytes != null) { // a byte string ("10g") on Databricks; Spark's option takes bytes
      out.put("maxBytesPerTrigger", String.valueOf(org.apache.spark.network.util.JavaUtils.byteStringAsBytes(maxBytes)));
    } else {
      out.put("maxFilesPerTrigger", maxFiles == null ? "1000" : maxFiles);
    }
    String rescued = rescuedColumn(params);
    if (schema != null && List.of(schema.fieldNames()).contains(rescued)) {
      out.put("mode", "PERMISSIVE");
      out.put("columnNameOfCorruptRecord", rescued);
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
      StructType schema = userSchema.isDefined() ? withRescued(userSchema.get(), params) : storedOrInferred(params, format, path);
      return new Tuple2<>(shortName(), schema);
    } catch (IOException e) {
      throw new IllegalStateException("Auto Loader cannot read its folder: " + e.getMessage(), e);
    }
  }

  /** The rescued data column: the one {@code rescuedDataColumn} names, else {@code _rescued_data}. */
  private static String rescuedColumn(Map<String, String> params) {
    String named = option(params, "rescuedDataColumn");
    return named == null ? RESCUED : named;
  }

  /**
   * A schema the stream was given gets a rescued data column only when {@code
   * rescuedDataColumn} asks for one (Databricks, "What is the rescued data column?": with a
   * schema provided, "enable it by setting the option rescuedDataColumn to a column name").
   */
  private static StructType withRescued(StructType given, Map<String, String> params) {
    String named = option(params, "rescuedDataColumn");
    if (named == null || List.of(given.fieldNames()).contains(named)) {
      return given;
    }
    return given.add(named, DataTypes.StringType, true);
  }

  /** Spark's answers to inferring from a folder with no files: empty, or not made yet. */
  private static final Set<String> NO_FILES = Set.of("UNABLE_TO_INFER_SCHEMA", "PATH_NOT_FOUND");

  private static StructType storedOrInferred(Map<String, String> params, String format, String path) throws IOException {
    Evolution schemas = new Evolution(params, format, option(params, "cloudFiles.schemaLocation"));
    StructType stored = schemas.latest();
    if (stored != null) {
      return stored;
    }
    StructType schema;
    try {
      schema = new Evolution(withNested(params, path), format, null).infer(List.of(path));
    } catch (Exception e) { // Scala's exceptions are unchecked; Java cannot catch AnalysisException by name here
      if (!(e instanceof org.apache.spark.sql.AnalysisException a) || !NO_FILES.contains(String.valueOf(a.getCondition()))) {
        throw e; // a bad option or an unreadable file: the user needs Spark's own message
      }
      throw new IllegalArgumentException("[CF_EMPTY_DIR_FOR_SCHEMA_INFERENCE] Cannot infer the schema when the input path `"
          + path + "` is empty. Try to start the stream when there are files in the input path, or specify the schema.");
    }
    schema = withHints(schema, option(params, "cloudFiles.schemaHints"));
    if (!FIXED_SCHEMA.contains(format) && !List.of(schema.fieldNames()).contains(RESCUED)) {
      schema = schema.add(RESCUED, DataTypes.StringType, true);
    }
    schema = partitionsLast(schema, partitionColumns(params, path));
    schemas.store(schema);
    return schema;
  }

  /** Auto Loader's untyped JSON/CSV columns: every leaf a string, structs and arrays kept. */
  private static DataType strings(DataType type) {
    if (type instanceof StructType struct) {
      StructType out = new StructType();
      for (StructField field : struct.fields()) {
        out = out.add(field.name(), strings(field.dataType()), true);
      }
      return out;
    }
    if (type instanceof org.apache.spark.sql.types.ArrayType array) {
      return DataTypes.createArrayType(strings(array.elementType()), true);
    }
    if (type instanceof org.apache.spark.sql.types.MapType map) {
      return DataTypes.createMapType(DataTypes.StringType, strings(map.valueType()), true);
    }
    return DataTypes.StringType;
  }

  /**
   * The Hive-style partition columns: {@code cloudFiles.partitionColumns} when given, else the
   * {@code key=value} folder names under the landing folder (Auto Loader infers them from the
   * directory structure, as Spark's file sources do).
   */
  static List<String> partitionColumns(Map<String, String> params, String path) {
    String given = option(params, "cloudFiles.partitionColumns");
    List<String> out = new java.util.ArrayList<>();
    if (given != null) {
      for (String name : given.split(",")) {
        if (!name.isBlank()) {
          out.add(name.trim());
        }
      }
      return out;
    }
    try {
      Path dir = new Path(path);
      FileSystem fs = dir.getFileSystem(SparkSession.active().sessionState().newHadoopConf());
      while (dir != null && fs.exists(dir) && fs.getFileStatus(dir).isDirectory()) {
        Path next = null;
        for (var status : fs.listStatus(dir)) {
          String name = status.getPath().getName();
          if (status.isDirectory() && name.indexOf('=') > 0 && !name.startsWith("_") && !name.startsWith(".")) {
            out.add(name.substring(0, name.indexOf('=')));
            next = status.getPath();
            break;
          }
        }
        dir = next;
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  /** Spark's file sources put partition columns after the file's own: the schema says so too. */
  private static StructType partitionsLast(StructType schema, List<String> partitions) {
    StructType out = new StructType();
    for (StructField field : schema.fields()) {
      if (partitions.stream().noneMatch(p -> p.equalsIgnoreCase(field.name()))) {
        out = out.add(field);
      }
    }
    for (String name : partitions) {
      Option<StructField> field = schema.find(f -> f.name().equalsIgnoreCase(name));
      out = out.add(field.isDefined() ? field.get() : new StructField(name, DataTypes.StringType, true,
          org.apache.spark.sql.types.Metadata.empty()));
    }
    return out;
  }

  /** {@code schema} with {@code added} before the rescued data column, which stays last. */
  static StructType widened(StructType schema, List<StructField> added) {
    StructType out = new StructType();
    for (StructField field : schema.fields()) {
      if (!field.name().equals(RESCUED)) {
        out = out.add(field);
      }
    }
    for (StructField field : added) {
      out = out.add(field);
    }
    return List.of(schema.fieldNames()).contains(RESCUED) ? out.add(RESCUED, DataTypes.StringType, true) : out;
  }

  /**
   * The schemas of one stream under {@code cloudFiles.schemaLocation}: {@code _schemas/0} is
   * the first inference, each evolution writes the next number, a start reads the highest.
   */
  static final class Evolution {
    private final Map<String, String> params;
    private final String format;
    private final Path folder;

    Evolution(Map<String, String> params, String format, String location) {
      this.params = params;
      this.format = format;
      this.folder = location == null ? null : new Path(location, "_schemas");
    }

    private static FileSystem fs(Path path) throws IOException {
      return path.getFileSystem(SparkSession.active().sessionState().newHadoopConf());
    }

    private long newest() throws IOException {
      long newest = -1;
      if (folder != null && fs(folder).exists(folder)) {
        for (var status : fs(folder).listStatus(folder)) {
          String name = status.getPath().getName();
          if (name.matches("[0-9]+")) {
            newest = Math.max(newest, Long.parseLong(name));
          }
        }
      }
      return newest;
    }

    StructType latest() throws IOException {
      long newest = newest();
      if (newest < 0) {
        return null;
      }
      try (var in = fs(folder).open(new Path(folder, String.valueOf(newest)))) {
        return (StructType) DataType.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }

    void store(StructType schema) {
      if (folder == null) {
        return;
      }
      try {
        Path next = new Path(folder, String.valueOf(newest() + 1));
        try (FSDataOutputStream out = fs(next).create(next, true)) {
          out.write(schema.json().getBytes(StandardCharsets.UTF_8));
        }
      } catch (IOException e) {
        throw new IllegalStateException("Auto Loader cannot write its schema to " + folder + ": " + e.getMessage(), e);
      }
    }

    /**
     * The top-level column names of one JSON or CSV file, read directly; for other formats
     * (or a file this cannot read, e.g. compressed) an UnsupportedOperationException.
     */
    List<String> topLevelNames(String file) throws IOException {
      Path path = new Path(file);
      String name = path.getName().toLowerCase(Locale.ROOT);
      if (!(format.equals("json") || format.equals("csv")) || name.endsWith(".gz") || name.endsWith(".bz2")
          || name.endsWith(".zst") || name.endsWith(".snappy")) {
        throw new UnsupportedOperationException(format);
      }
      List<String> out = new java.util.ArrayList<>();
      try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(fs(path).open(path), StandardCharsets.UTF_8))) {
        if (format.equals("csv")) {
          String first = in.readLine();
          if (first == null) {
            return out;
          }
          String sep = option(params, "sep") != null ? option(params, "sep") : option(params, "delimiter");
          String[] fields = first.split(java.util.regex.Pattern.quote(sep == null ? "," : sep), -1);
          boolean header = "true".equalsIgnoreCase(option(params, "header"));
          for (int i = 0; i < fields.length; i++) {
            out.add(header ? fields[i].trim().replaceAll("^\"|\"$", "") : "_c" + i);
          }
          return out;
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        if ("true".equalsIgnoreCase(option(params, "multiLine"))) {
          var tree = json.readTree(in);
          for (var record : tree.isArray() ? tree : List.of(tree)) {
            record.fieldNames().forEachRemaining(out::add);
          }
          return out;
        }
        String line;
        while ((line = in.readLine()) != null) {
          if (line.isBlank()) {
            continue;
          }
          try {
            json.readTree(line).fieldNames().forEachRemaining(out::add);
          } catch (IOException e) {
            continue; // a record that does not parse: rescued, not a column
          }
        }
        return out;
      }
    }

    /** The columns of these files as Auto Loader types them (strings unless inferColumnTypes). */
    StructType infer(List<String> paths) {
      Map<String, String> readOptions = new HashMap<>(params);
      readOptions.keySet().removeIf(k -> k.toLowerCase(Locale.ROOT).startsWith("cloudfiles.") || k.equalsIgnoreCase("path"));
      readOptions.put("columnNameOfCorruptRecord", RESCUED);
      StructType inferred = SparkSession.active().read().format(format).options(readOptions)
          .load(CollectionConverters.asScala(paths).toSeq()).schema();
      boolean typed = "true".equalsIgnoreCase(option(params, "cloudFiles.inferColumnTypes"));
      StructType schema = new StructType();
      for (StructField field : inferred.fields()) {
        if (field.name().equals(RESCUED)) {
          continue; // records that did not parse while inferring; the column goes last
        }
        DataType type = TEXT_FORMATS.contains(format) && !typed ? strings(field.dataType()) : field.dataType();
        schema = schema.add(field.name(), type, true);
      }
      return schema;
    }
  }

  /**
   * {@code "id BIGINT, ts TIMESTAMP"}: those columns get those types (added if absent); a
   * dotted name ({@code address.zip STRING}) types a field inside a struct column, as the
   * Databricks docs' schema hints do.
   */
  static StructType withHints(StructType schema, String hints) {
    if (hints == null || hints.isBlank()) {
      return schema;
    }
    StructType out = schema;
    for (String hint : splitTopLevel(hints)) {
      String h = hint.trim();
      int space = h.indexOf(' ');
      String name = space < 0 ? h : h.substring(0, space);
      if (!name.contains(".") || name.startsWith("`")) {
        StructField field = StructType.fromDDL(h).fields()[0];
        out = replace(out, List.of(field.name()), field.dataType());
      } else {
        out = replace(out, List.of(name.split("\\.")), DataType.fromDDL(h.substring(space + 1)));
      }
    }
    return out;
  }

  /**
   * The parts of {@code text} between top-level commas: not those inside STRUCT<...>,
   * MAP<...>, DECIMAL(p, s), function calls or quotes (schema hints, SELECT lists).
   */
  static List<String> splitTopLevel(String text) {
    List<String> parts = new java.util.ArrayList<>();
    int depth = 0;
    int from = 0;
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote != 0) {
        quote = c == quote && text.charAt(i - 1) != '\\' ? 0 : quote;
      } else if (c == '\'' || c == '"' || c == '`') {
        quote = c;
      } else if (c == '<' || c == '(' || c == '[') {
        depth++;
      } else if (c == '>' || c == ')' || c == ']') {
        depth--;
      } else if (c == ',' && depth == 0) {
        parts.add(text.substring(from, i));
        from = i + 1;
      }
    }
    parts.add(text.substring(from));
    parts.removeIf(String::isBlank);
    return parts;
  }

  /**
   * {@code schema} with the field at {@code path} of type {@code type} (added if absent);
   * {@code element}, {@code key} and {@code value} step into arrays and maps, as in the docs'
   * hints ({@code items.element.price DOUBLE}).
   */
  private static StructType replace(StructType schema, List<String> path, DataType type) {
    return (StructType) replaceIn(schema, path, type);
  }

  private static DataType replaceIn(DataType current, List<String> path, DataType type) {
    if (path.isEmpty()) {
      return type;
    }
    String head = path.get(0);
    List<String> rest = path.subList(1, path.size());
    if (current instanceof org.apache.spark.sql.types.ArrayType array && head.equalsIgnoreCase("element")) {
      return DataTypes.createArrayType(replaceIn(array.elementType(), rest, type), true);
    }
    if (current instanceof org.apache.spark.sql.types.MapType map && head.equalsIgnoreCase("key")) {
      return DataTypes.createMapType(replaceIn(map.keyType(), rest, type), map.valueType(), true);
    }
    if (current instanceof org.apache.spark.sql.types.MapType map && head.equalsIgnoreCase("value")) {
      return DataTypes.createMapType(map.keyType(), replaceIn(map.valueType(), rest, type), true);
    }
    StructType struct = current instanceof StructType s ? s : new StructType();
    StructType out = new StructType();
    boolean found = false;
    for (StructField field : struct.fields()) {
      if (field.name().equalsIgnoreCase(head)) {
        found = true;
        out = out.add(field.name(), replaceIn(field.dataType(), rest, type), true);
      } else {
        out = out.add(field);
      }
    }
    return found ? out : out.add(head, replaceIn(new StructType(), rest, type), true);
  }

  @Override
  public Source createSource(SQLContext context, String metadataPath, Option<StructType> schema,
      String provider, scala.collection.immutable.Map<String, String> parameters) {
    Map<String, String> params = java(parameters);
    String format = format(params);
    StructType resolved = schema.isDefined() ? withRescued(schema.get(), params)
        : sourceSchema(context, schema, provider, parameters)._2();
    String path;
    try {
      path = path(params);
    } catch (IOException e) {
      throw new IllegalStateException("Auto Loader cannot read its folder: " + e.getMessage(), e);
    }
    boolean inferred = schema.isEmpty(); // Spark passes the user's .schema(...) here, if any
    String mode = mode(params, inferred);
    Evolution evolution = inferred ? new Evolution(params, format, option(params, "cloudFiles.schemaLocation")) : null;
    boolean includeExisting = !"false".equalsIgnoreCase(option(params, "cloudFiles.includeExistingFiles"));
    List<String> partitions = new java.util.ArrayList<>();
    for (String name : partitionColumns(params, path)) {
      resolved.find(f -> f.name().equalsIgnoreCase(name)).foreach(f -> partitions.add(f.name()));
    }
    return new AutoLoaderFiles(SparkSession.active(), path, format, resolved, partitions, metadataPath,
        org.apache.spark.sql.catalyst.util.CaseInsensitiveMap$.MODULE$.apply(fileOptions(withNested(params, path), resolved)),
        includeExisting, mode, evolution);
  }
}
