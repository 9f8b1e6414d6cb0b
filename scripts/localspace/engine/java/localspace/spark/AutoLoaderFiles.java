package localspace.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.classic.Dataset;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.connector.read.streaming.ReadLimit;
import org.apache.spark.sql.execution.streaming.Offset;
import org.apache.spark.sql.execution.streaming.runtime.FileStreamSource;
import org.apache.spark.sql.execution.streaming.runtime.FileStreamSourceOffset;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * The rows of an Auto Loader stream: Spark's file stream source plus the two Auto Loader
 * behaviours that need to see each batch (Databricks docs, "Auto Loader options",
 * https://docs.databricks.com/en/ingestion/cloud-object-storage/auto-loader/options.html, and
 * "Configure schema inference and evolution in Auto Loader",
 * https://docs.databricks.com/en/ingestion/cloud-object-storage/auto-loader/schema.html):
 *
 * <ul>
 *   <li>{@code cloudFiles.includeExistingFiles=false}: "evaluated only when you start a stream
 *       for the first time". At the first start (the source's checkpoint folder holds no batch
 *       yet) the files already there are written to the source's own log as batch 0, so Spark
 *       counts them as seen, and a marker file in that folder says batch 0 is never delivered.
 *       Both live in the checkpoint, so a restart keeps the decision and a new checkpoint makes
 *       it again.
 *   <li>{@code cloudFiles.schemaEvolutionMode}: with {@code addNewColumns} (the default when the
 *       schema is inferred) a file with columns the stored schema lacks makes the stream fail with
 *       {@code UNKNOWN_FIELD_EXCEPTION} after the widened schema is written to the next
 *       {@code _schemas/N} file, so the next start reads the new columns; {@code failOnNewColumns}
 *       fails without changing the schema; {@code none} reads on with the old schema.
 * </ul>
 */
public class AutoLoaderFiles extends FileStreamSource {
  /** Marker in the source's checkpoint folder: batch 0 holds files that were there before. */
  static final String SKIPPED_MARKER = "localspace-existing-files-skipped";

  private final Path metadata;
  private final StructType schema;
  private final String format;
  private final String mode;
  private final CloudFilesSource.Evolution evolution;

  AutoLoaderFiles(SparkSession spark, String path, String format, StructType schema, List<String> partitions,
      String metadataPath, scala.collection.immutable.Map<String, String> options,
      boolean includeExisting, String mode, CloudFilesSource.Evolution evolution) {
    super(spark, path, format, schema, scala.jdk.javaapi.CollectionConverters.asScala(partitions).toList(),
        metadataPath, options);
    this.metadata = new Path(metadataPath);
    this.schema = schema;
    this.format = format;
    this.mode = mode;
    this.evolution = evolution;
    if (!includeExisting && currentLogOffset() < 0) {
      skipExisting(spark);
    }
  }

  private void skipExisting(SparkSession spark) {
    latestOffset(null, ReadLimit.allAvailable()); // lists the folder: batch 0 = what is there
    if (currentLogOffset() < 0) {
      return; // nothing there: nothing to skip, batch 0 will be real data
    }
    try {
      FileSystem fs = metadata.getFileSystem(spark.sessionState().newHadoopConf());
      fs.create(new Path(metadata, SKIPPED_MARKER), true).close();
    } catch (IOException e) {
      throw new IllegalStateException("Auto Loader cannot write its checkpoint: " + e.getMessage(), e);
    }
  }

  private boolean skipped() {
    try {
      Path marker = new Path(metadata, SKIPPED_MARKER);
      return marker.getFileSystem(SparkSession.active().sessionState().newHadoopConf()).exists(marker);
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public Dataset<Row> getBatch(Option<Offset> start, Offset end) {
    Option<Offset> from = start.isEmpty() && skipped() ? Option.apply(new FileStreamSourceOffset(0L)) : start;
    Dataset<Row> batch = super.getBatch(from, end);
    if (evolution != null && !"none".equals(mode)) {
      checkNewColumns(files(batch));
    }
    return batch;
  }

  /** The files a batch reads (Dataset.inputFiles would run the streaming plan, which Spark refuses). */
  private static String[] files(Dataset<Row> batch) {
    List<String> out = new ArrayList<>();
    batch.logicalPlan().foreach(node -> {
      if (node instanceof org.apache.spark.sql.execution.datasources.LogicalRelation l
          && l.relation() instanceof org.apache.spark.sql.execution.datasources.HadoopFsRelation r) {
        out.addAll(List.of(r.location().inputFiles()));
      }
      return scala.runtime.BoxedUnit.UNIT;
    });
    return out.toArray(new String[0]);
  }

  /** Fails the stream when a file of the batch has columns the schema lacks (see above). */
  private void checkNewColumns(String[] files) {
    if (files.length == 0 || !mayHaveNewColumns(files) || newColumns(List.of(files)).isEmpty()) {
      return; // one inference over the whole batch: the usual case
    }
    for (String file : files) {
      List<StructField> added = newColumns(List.of(file));
      if (added.isEmpty()) {
        continue;
      }
      StructType rescued = new StructType(added.toArray(new StructField[0]));
      boolean retry = "addNewColumns".equalsIgnoreCase(mode);
      if (retry) {
        evolution.store(CloudFilesSource.widened(schema, added));
      }
      List<String> names = new ArrayList<>();
      added.forEach(f -> names.add(f.name()));
      throw new IllegalStateException("[UNKNOWN_FIELD_EXCEPTION.NEW_FIELDS_IN_FILE] Encountered unknown fields during parsing: "
          + names + ", which can be fixed by an automatic retry: " + retry
          + ". Unknown fields inside file path: " + file + ". Rescued file schema: " + rescued.simpleString());
    }
  }

  /**
   * True when some file of the batch may have a column the schema lacks. JSON keys and CSV
   * headers are read here on the driver, which costs no Spark job per batch; other formats
   * (and files this cannot read, e.g. compressed) are left to Spark's inference.
   */
  private boolean mayHaveNewColumns(String[] files) {
    Set<String> known = new HashSet<>();
    for (String name : schema.fieldNames()) {
      known.add(name.toLowerCase(Locale.ROOT));
    }
    try {
      for (String file : files) {
        for (String name : evolution.topLevelNames(file)) {
          if (!known.contains(name.toLowerCase(Locale.ROOT))) {
            return true;
          }
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return true;
    }
  }

  private List<StructField> newColumns(List<String> files) {
    List<StructField> added = new ArrayList<>();
    for (StructField field : evolution.infer(files).fields()) {
      if (List.of(schema.fieldNames()).stream().noneMatch(n -> n.equalsIgnoreCase(field.name()))) {
        added.add(field);
      }
    }
    return added;
  }
}
