package localspace.spark;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.expressions.NamedArgumentExpression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.types.StructType;
import scala.Function1;
import scala.Tuple3;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@code read_files(path [, option => value] ...)}, Databricks' table-valued function for
 * reading files in SQL (Databricks SQL reference, "read_files table-valued function"), as a
 * batch read by Spark's own file sources: {@code format} names the source (json, csv, xml,
 * parquet, avro, orc, text, binaryFile; without it, the files' extension tells) and the other
 * options go to it. As the reference says,
 * JSON and CSV columns get inferred types ({@code inferColumnTypes} defaults to true), CSV has a
 * header unless {@code header => false}, {@code schemaHints} override inferred types, and the
 * rescued data column ({@code _rescued_data}) takes what does not parse. {@code STREAM
 * read_files(...)} belongs to pipelines (the pipeline engine reads it with Auto Loader).
 */
public final class ReadFiles {
  private ReadFiles() {}

  static final String NAME = "read_files";

  public static Tuple3<FunctionIdentifier, ExpressionInfo, Function1<Seq<Expression>, LogicalPlan>> description() {
    ExpressionInfo info = new ExpressionInfo(ReadFiles.class.getName(), null, NAME,
        "read_files(path [, option => value ...]) - the files under path as a table", "", "", "",
        "table_funcs", "", "", "built-in");
    Function1<Seq<Expression>, LogicalPlan> builder = ReadFiles::plan;
    return new Tuple3<>(new FunctionIdentifier(NAME), info, builder);
  }

  private static String literal(Expression e, String what) {
    if (!e.foldable()) {
      throw new IllegalArgumentException("read_files: " + what + " must be a constant");
    }
    Object value = e.eval(null);
    return value == null ? null : value.toString();
  }

  private static final Map<String, String> EXTENSIONS = Map.of("json", "json", "jsonl", "json",
      "csv", "csv", "xml", "xml", "parquet", "parquet", "avro", "avro", "orc", "orc", "txt", "text");

  /**
   * The format the files' names say (read_files detects it when {@code format} is not given):
   * the path's own extension, else that of the first data file under it.
   */
  private static String detected(String path) {
    try {
      org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(path);
      org.apache.hadoop.fs.FileSystem fs = root.getFileSystem(SparkSession.active().sessionState().newHadoopConf());
      String name = root.getName();
      boolean glob = path.contains("*") || path.contains("?") || path.contains("{") || path.contains("[");
      if (!glob && !fs.exists(root)) {
        throw new IllegalArgumentException("[PATH_NOT_FOUND] Path does not exist: " + path + ".");
      }
      if (!glob && fs.getFileStatus(root).isDirectory()) {
        name = firstDataFile(fs, root);
      }
      String extension = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
      String format = EXTENSIONS.get(extension);
      if (format == null) {
        throw new IllegalArgumentException("[CANNOT_DETERMINE_FILE_FORMAT] read_files cannot tell the format of "
            + path + " from its file names; name it: read_files('" + path + "', format => 'json')");
      }
      return format;
    } catch (java.io.IOException e) {
      throw new IllegalStateException("read_files cannot list " + path + ": " + e.getMessage(), e);
    }
  }

  /** The name of the first file under {@code dir} that is data (not _ or . names), or "". */
  private static String firstDataFile(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path dir)
      throws java.io.IOException {
    for (var status : fs.listStatus(dir)) {
      String name = status.getPath().getName();
      if (name.startsWith("_") || name.startsWith(".")) {
        continue;
      }
      String found = status.isDirectory() ? firstDataFile(fs, status.getPath()) : name;
      if (!found.isEmpty()) {
        return found;
      }
    }
    return "";
  }

  static LogicalPlan plan(Seq<Expression> arguments) {
    List<Expression> args = CollectionConverters.asJava(arguments);
    if (args.isEmpty() || args.get(0) instanceof NamedArgumentExpression) {
      throw new IllegalArgumentException("read_files needs the path as its first argument: "
          + "read_files('/Volumes/...', format => 'json')");
    }
    String path = literal(args.get(0), "the path");
    Map<String, String> options = new HashMap<>();
    for (Expression arg : args.subList(1, args.size())) {
      if (!(arg instanceof NamedArgumentExpression)) {
        throw new IllegalArgumentException("read_files options are named: option => value");
      }
      NamedArgumentExpression named = (NamedArgumentExpression) arg;
      options.put(named.key().toLowerCase(Locale.ROOT), literal(named.value(), "option " + named.key()));
    }
    String format = options.remove("format");
    format = format != null ? format.toLowerCase(Locale.ROOT) : detected(path);
    boolean text = format.equals("json") || format.equals("csv") || format.equals("xml");
    String inferTypes = options.remove("infercolumntypes");
    String hints = options.remove("schemahints");
    String rescued = options.remove("rescueddatacolumn");
    if (format.equals("csv")) {
      options.putIfAbsent("header", "true");
    }
    if (text && !"false".equalsIgnoreCase(inferTypes)) {
      options.putIfAbsent("inferSchema", "true");
    } else if (format.equals("json")) {
      options.putIfAbsent("primitivesAsString", "true");
    }
    SparkSession spark = SparkSession.active();
    String schema = options.remove("schema");
    var reader = spark.read().format(format).options(options);
    if (schema != null) {
      reader = reader.schema(schema);
    } else if (hints != null || (text && rescued != null)) {
      StructType out = CloudFilesSource.withHints(reader.load(path).schema(), hints);
      if (rescued != null) {
        out = out.add(rescued, org.apache.spark.sql.types.DataTypes.StringType, true);
        reader = reader.option("columnNameOfCorruptRecord", rescued);
      }
      reader = reader.schema(out);
    }
    return reader.load(path).logicalPlan();
  }
}
