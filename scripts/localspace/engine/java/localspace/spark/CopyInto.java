package localspace.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobPattern;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.classic.Dataset;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@code COPY INTO}, as the Databricks SQL reference documents it
 * (https://docs.databricks.com/en/sql/language-manual/delta-copy-into.html):
 *
 * <pre>
 * COPY INTO target [ BY POSITION | ( col [, ...] ) ]
 *   FROM { 'path' | ( SELECT expressions FROM 'path' ) }
 *   FILEFORMAT = CSV | JSON | PARQUET | ORC | TEXT | BINARYFILE | XML
 *   [ FILES = ( 'name' [, ...] ) | PATTERN = 'glob' ]
 *   [ FORMAT_OPTIONS ( 'key' = 'value' [, ...] ) ]
 *   [ COPY_OPTIONS ( 'mergeSchema' = 'true', 'force' = 'true' ) ]
 * </pre>
 *
 * <p>The files are read by Spark's own file source with the format options and appended to the
 * existing Delta table by Delta (columns by name, {@code mergeSchema} evolving the table, so an
 * empty table made by {@code CREATE TABLE IF NOT EXISTS t} takes the files' columns, as in the
 * docs' tutorial). It is idempotent: a file loaded once is skipped by later runs, even if it
 * changed, unless {@code 'force' = 'true'}. The answer is Databricks' one row:
 * {@code num_affected_rows, num_inserted_rows, num_skipped_corrupt_files}.
 *
 * <p>Where the loaded files are recorded: in the {@code userMetadata} of the Delta commit that
 * loaded them (Delta's own per-commit field, shown by {@code DESCRIBE HISTORY}). It is written in
 * the same atomic commit as the rows, so a failed load records nothing and a loaded file is never
 * recorded twice; it lives in the table's history, so it survives with the table and goes when
 * the table is dropped or replaced. Databricks keeps the same record in the table's log folder,
 * which open-source Delta does not let another writer add to. Like Databricks' record, it ends
 * with the log's retention ({@code delta.logRetentionDuration}, 30 days).
 *
 * <p>Not emulated (one line that says so): {@code VALIDATE}, credentials and encryption in
 * {@code WITH (...)}, the avro format.
 */
final class CopyInto {
  private CopyInto() {}

  /** The key of the loaded-files record in a commit's userMetadata. */
  static final String RECORD = "localspace.copyInto.files";
  private static final String NAME = "(?:`(?:[^`]|``)+`|[A-Za-z0-9_]+)";
  private static final Pattern HEAD = Pattern.compile(
      "^\\s*COPY\\s+INTO\\s+(" + NAME + "(?:\\s*\\.\\s*" + NAME + "){0,2})\\s*(BY\\s+POSITION\\s*|\\(([^)]*)\\)\\s*)?FROM\\s+(.*)$",
      Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern LITERAL = Pattern.compile("'((?:[^'\\\\]|\\\\.|'')*)'");
  private static final Pattern SELECT_FROM = Pattern.compile("\\bFROM\\s+'((?:[^'\\\\]|\\\\.|'')*)'\\s*$",
      Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern FILEFORMAT = Pattern.compile("^\\s*FILEFORMAT\\s*=\\s*([A-Za-z]+)\\s*(.*)$",
      Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern CLAUSE = Pattern.compile(
      "^\\s*(FILES|PATTERN|FORMAT_OPTIONS|COPY_OPTIONS|VALIDATE)\\b\\s*=?\\s*", Pattern.CASE_INSENSITIVE);
  private static final Pattern PAIR = Pattern.compile(
      "'([^']*)'\\s*=\\s*(?:'((?:[^'\\\\]|\\\\.|'')*)'|([A-Za-z0-9_.+-]+))");

  private static IllegalArgumentException syntax(String what) {
    return new IllegalArgumentException("[PARSE_SYNTAX_ERROR] COPY INTO: " + what
        + "; the form is COPY INTO t FROM '/Volumes/...' FILEFORMAT = JSON [FILES = (...) | PATTERN = '...'] "
        + "[FORMAT_OPTIONS (...)] [COPY_OPTIONS (...)]");
  }

  private static String unescape(String literal) {
    return literal.replace("''", "'").replace("\\'", "'").replace("\\\\", "\\");
  }

  /** The text inside the parentheses that open at {@code text[at]}, and where they close. */
  private static int closing(String text, int at) {
    int depth = 0;
    boolean quoted = false;
    for (int i = at; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\'' && (i == 0 || text.charAt(i - 1) != '\\')) {
        quoted = !quoted;
      } else if (!quoted && c == '(') {
        depth++;
      } else if (!quoted && c == ')' && --depth == 0) {
        return i;
      }
    }
    throw syntax("a parenthesis is not closed");
  }

  private static Map<String, String> pairs(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = PAIR.matcher(text);
    while (m.find()) {
      out.put(m.group(1), m.group(2) != null ? unescape(m.group(2)) : m.group(3));
    }
    return out;
  }

  /**
   * The statement with its comments ({@code --} to the end of the line, {@code /* ... *}{@code /})
   * left out and its double-quoted strings in single quotes, so the clauses below read one form:
   * Databricks SQL takes both quotes for string literals (SQL reference, "STRING type").
   */
  static String normalized(String sql) {
    StringBuilder out = new StringBuilder(sql.length());
    for (int i = 0; i < sql.length(); i++) {
      char c = sql.charAt(i);
      if (c == '\'' || c == '`') {
        int end = i + 1;
        while (end < sql.length() && (sql.charAt(end) != c || sql.charAt(end - 1) == '\\')) {
          end++;
        }
        out.append(sql, i, Math.min(end + 1, sql.length()));
        i = end;
      } else if (c == '"') {
        int end = i + 1;
        while (end < sql.length() && (sql.charAt(end) != '"' || sql.charAt(end - 1) == '\\')) {
          end++;
        }
        out.append('\'').append(sql.substring(i + 1, Math.min(end, sql.length())).replace("'", "\\'")).append('\'');
        i = end;
      } else if (sql.startsWith("--", i)) {
        int nl = sql.indexOf('\n', i);
        i = nl < 0 ? sql.length() : nl - 1;
      } else if (sql.startsWith("/*", i)) {
        int close = sql.indexOf("*/", i + 2);
        i = close < 0 ? sql.length() : close + 1;
        out.append(' ');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Runs the statement; the answer is Databricks' one-row result. */
  static Dataset<Row> run(String sql) {
    Matcher head = HEAD.matcher(normalized(sql).strip().replaceAll(";\\s*$", ""));
    if (!head.matches()) {
      throw syntax("cannot read the statement");
    }
    String target = head.group(1);
    boolean byPosition = head.group(2) != null && head.group(3) == null;
    List<String> columns = head.group(3) == null ? List.of() : splitNames(head.group(3));
    String rest = head.group(4).stripLeading();

    String path;
    String select = null;
    if (rest.startsWith("(")) {
      int end = closing(rest, 0);
      select = rest.substring(1, end).strip();
      Matcher from = SELECT_FROM.matcher(select);
      if (!from.find()) {
        throw syntax("the SELECT reads FROM a path literal: (SELECT ... FROM '/Volumes/...')");
      }
      path = unescape(from.group(1));
      select = select.substring(0, from.start()).strip().replaceFirst("(?i)^SELECT\\s+", "");
      rest = rest.substring(end + 1);
    } else {
      Matcher literal = LITERAL.matcher(rest);
      if (!literal.lookingAt()) {
        throw syntax("FROM takes a path literal or (SELECT ... FROM 'path')");
      }
      path = unescape(literal.group(1));
      rest = rest.substring(literal.end());
    }
    if (rest.stripLeading().regionMatches(true, 0, "WITH", 0, 4)) {
      throw NotEmulated.refusal(
          "COPY INTO ... WITH (CREDENTIAL | ENCRYPTION ...): Volumes need no credential here");
    }
    Matcher fileformat = FILEFORMAT.matcher(rest);
    if (!fileformat.matches()) {
      throw syntax("FILEFORMAT = CSV | JSON | PARQUET | ... is required");
    }
    String format = fileformat.group(1).toLowerCase(Locale.ROOT);
    if (format.equals("avro")) {
      throw NotEmulated.refusal(
          "the avro format (Spark's spark-avro module is not loaded)");
    }
    if (!Set.of("csv", "json", "parquet", "orc", "text", "binaryfile", "xml").contains(format)) {
      throw syntax("unknown FILEFORMAT " + fileformat.group(1));
    }
    rest = fileformat.group(2);

    List<String> files = null;
    String pattern = null;
    Map<String, String> formatOptions = new LinkedHashMap<>();
    Map<String, String> copyOptions = new LinkedHashMap<>();
    while (!rest.isBlank()) {
      Matcher clause = CLAUSE.matcher(rest);
      if (!clause.lookingAt()) {
        throw syntax("unexpected text: " + rest.strip());
      }
      String name = clause.group(1).toUpperCase(Locale.ROOT);
      rest = rest.substring(clause.end());
      if (name.equals("VALIDATE")) {
        throw NotEmulated.refusal("COPY INTO ... VALIDATE");
      }
      if (name.equals("PATTERN")) {
        Matcher literal = LITERAL.matcher(rest);
        if (!literal.lookingAt()) {
          throw syntax("PATTERN takes a string: PATTERN = '*.json'");
        }
        pattern = unescape(literal.group(1));
        rest = rest.substring(literal.end());
        continue;
      }
      if (!rest.startsWith("(")) {
        throw syntax(name + " takes a list in parentheses");
      }
      int end = closing(rest, 0);
      String inside = rest.substring(1, end);
      rest = rest.substring(end + 1);
      if (name.equals("FILES")) {
        files = new ArrayList<>();
        Matcher literal = LITERAL.matcher(inside);
        while (literal.find()) {
          files.add(unescape(literal.group(1)));
        }
      } else if (name.equals("FORMAT_OPTIONS")) {
        formatOptions.putAll(pairs(inside));
      } else {
        copyOptions.putAll(pairs(inside));
      }
    }
    if (files != null && pattern != null) {
      throw syntax("FILES and PATTERN cannot both be given");
    }
    return load(target, byPosition, columns, path, select, format, files, pattern, formatOptions, copyOptions);
  }

  private static List<String> splitNames(String text) {
    List<String> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(DatabricksParser.unquote(part));
      }
    }
    return out;
  }

  private static boolean flag(Map<String, String> options, String key) {
    for (Map.Entry<String, String> e : options.entrySet()) {
      if (e.getKey().equalsIgnoreCase(key)) {
        return "true".equalsIgnoreCase(e.getValue());
      }
    }
    return false;
  }

  private static Dataset<Row> load(String target, boolean byPosition, List<String> columns, String path,
      String select, String format, List<String> names, String pattern,
      Map<String, String> formatOptions, Map<String, String> copyOptions) {
    SparkSession spark = SparkSession.active();
    StructType table = spark.table(target).schema(); // fails as Spark does when it is missing
    boolean force = flag(copyOptions, "force");
    boolean mergeSchema = flag(copyOptions, "mergeSchema");
    List<String> candidates = candidates(spark, path, names, pattern);
    Set<String> loaded = force ? Set.of() : loaded(spark, target);
    List<String> fresh = new ArrayList<>();
    for (String file : candidates) {
      if (!loaded.contains(file)) {
        fresh.add(file);
      }
    }
    if (fresh.isEmpty()) {
      return answer(spark, 0);
    }
    Map<String, String> readOptions = new LinkedHashMap<>(formatOptions);
    readOptions.keySet().removeIf(k -> k.equalsIgnoreCase("mergeSchema") && !format.equals("parquet") && !format.equals("orc"));
    Dataset<Row> rows = spark.read().format(format).options(readOptions)
        .load(CollectionConverters.asScala(fresh).toSeq());
    if (select != null) { // on the DataFrame itself, so _metadata.file_name resolves as in a file read
      rows = rows.selectExpr(CollectionConverters.asScala(CloudFilesSource.splitTopLevel(select)).toSeq());
    }
    if (!columns.isEmpty() || byPosition) {
      List<String> to = !columns.isEmpty() ? columns : List.of(table.fieldNames());
      if (to.size() != rows.columns().length) {
        throw new IllegalArgumentException("[COPY_INTO_COLUMN_ARITY_MISMATCH] COPY INTO " + target + " names "
            + to.size() + " columns but the source has " + rows.columns().length);
      }
      rows = rows.toDF(CollectionConverters.asScala(to).toSeq());
    }
    rows = castToTable(rows, table);
    long inserted = rows.count();
    String record = recordJson(fresh);
    try {
      rows.writeTo(target).option("userMetadata", record).option("mergeSchema", String.valueOf(mergeSchema)).append();
    } catch (org.apache.spark.sql.catalyst.analysis.NoSuchTableException e) { // dropped meanwhile
      throw new IllegalStateException(e.getMessage(), e);
    }
    return answer(spark, inserted);
  }

  /** Source columns the table already has take the table's types (CSV reads strings). */
  private static Dataset<Row> castToTable(Dataset<Row> rows, StructType table) {
    List<Column> out = new ArrayList<>();
    boolean changed = false;
    for (StructField field : rows.schema().fields()) {
      Column column = functions.col("`" + field.name().replace("`", "``") + "`");
      var existing = table.find(f -> f.name().equalsIgnoreCase(field.name()));
      if (existing.isDefined() && !existing.get().dataType().equals(field.dataType())) {
        column = column.cast(existing.get().dataType()).as(field.name());
        changed = true;
      }
      out.add(column);
    }
    return changed ? rows.select(CollectionConverters.asScala(out).toSeq()) : rows;
  }

  /** The files under {@code path} named by FILES or matched by PATTERN (relative to it), sorted. */
  private static List<String> candidates(SparkSession spark, String path, List<String> names, String pattern) {
    try {
      Path root = new Path(path);
      FileSystem fs = root.getFileSystem(spark.sessionState().newHadoopConf());
      if (!fs.exists(root)) {
        throw new IllegalArgumentException("[PATH_NOT_FOUND] Path does not exist: " + path + ".");
      }
      Path qualified = fs.makeQualified(root);
      List<String> out = new ArrayList<>();
      if (names != null) {
        for (String name : names) {
          Path file = new Path(qualified, name);
          if (!fs.exists(file)) {
            throw new IllegalArgumentException("[PATH_NOT_FOUND] Path does not exist: " + file + ".");
          }
          out.add(file.toString());
        }
        return out;
      }
      if (fs.getFileStatus(qualified).isFile()) {
        return List.of(qualified.toString());
      }
      GlobPattern glob = pattern == null ? null : new GlobPattern(pattern.replaceAll("^/+", ""));
      String prefix = qualified.toUri().getPath().replaceAll("/+$", "") + "/";
      walk(fs, qualified, file -> {
        String relative = file.toUri().getPath().substring(prefix.length());
        if (glob == null || glob.matches(relative)) {
          out.add(file.toString());
        }
      });
      out.sort(null);
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("COPY INTO cannot list " + path + ": " + e.getMessage(), e);
    }
  }

  /** Every data file under {@code dir}: names starting with _ or . are not data, as for Spark. */
  private static void walk(FileSystem fs, Path dir, java.util.function.Consumer<Path> each) throws IOException {
    for (FileStatus status : fs.listStatus(dir)) {
      String name = status.getPath().getName();
      if (name.startsWith("_") || name.startsWith(".")) {
        continue;
      }
      if (status.isDirectory()) {
        walk(fs, status.getPath(), each);
      } else {
        each.accept(status.getPath());
      }
    }
  }

  private static String recordJson(List<String> files) {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var record = json.createObjectNode();
    files.forEach(record.putArray(RECORD)::add);
    return record.toString();
  }

  /** Every file an earlier COPY INTO loaded into {@code target}, from the table's history. */
  private static Set<String> loaded(SparkSession spark, String target) {
    Set<String> out = new LinkedHashSet<>();
    // Newest first, down to the last REPLACE: a replaced table starts with nothing loaded.
    Dataset<Row> history = spark.sql("DESCRIBE HISTORY " + target).select("operation", "userMetadata")
        .where(functions.col("userMetadata").contains(RECORD).or(functions.col("operation").contains("REPLACE")));
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    for (Row row : history.collectAsList()) {
      if (row.getString(0).contains("REPLACE")) {
        break;
      }
      try {
        json.readTree(row.getString(1)).path(RECORD).forEach(file -> out.add(file.asText()));
      } catch (java.io.IOException e) { // not our record after all (a user's own userMetadata)
        continue;
      }
    }
    return out;
  }

  private static Dataset<Row> answer(SparkSession spark, long inserted) {
    return spark.sql("SELECT CAST(" + inserted + " AS BIGINT) AS num_affected_rows, CAST(" + inserted
        + " AS BIGINT) AS num_inserted_rows, CAST(0 AS BIGINT) AS num_skipped_corrupt_files");
  }
}
