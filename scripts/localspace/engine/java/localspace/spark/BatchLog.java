package localspace.spark;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * When each streaming micro-batch with new input ran, for the benchmarks that time a pipeline
 * (spark_writes.py reads {@link #json()}). A JVM listener, registered for every session by
 * {@code spark.sql.streaming.streamingQueryListeners}: a Python listener would cost every
 * run a Py4J callback per trigger, about 5% of the demo's CPU. Keeps the newest
 * {@link #LIMIT} batches, so a long-lived emulator does not grow.
 */
public class BatchLog extends StreamingQueryListener {
  static final int LIMIT = 10_000;
  private static final Deque<String> BATCHES = new ArrayDeque<>();

  @Override public void onQueryStarted(QueryStartedEvent event) {}
  @Override public void onQueryTerminated(QueryTerminatedEvent event) {}

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    StreamingQueryProgress progress = event.progress();
    // New input: rows counted, or offsets moved (a foreachBatch that reads tables instead of
    // its batch counts no rows). A batch without either only moved a watermark.
    boolean moved = false;
    for (SourceProgress source : progress.sources()) {
      moved |= !String.valueOf(source.startOffset()).equals(String.valueOf(source.endOffset()));
    }
    if (progress.numInputRows() <= 0 && !moved) {
      return;
    }
    Map<String, Long> durations = progress.durationMs();
    String name = progress.name() != null ? progress.name() : progress.id().toString();
    String record = String.format("[\"%s\", \"%s\", %d, %d, %d]", name.replace("\"", "'"),
        progress.timestamp(), durations.getOrDefault("triggerExecution", 0L),
        durations.getOrDefault("commitOffsets", 0L), durations.getOrDefault("addBatch", 0L));
    synchronized (BATCHES) {
      BATCHES.addLast(record);
      while (BATCHES.size() > LIMIT) {
        BATCHES.removeFirst();
      }
    }
  }

  /** [[name, ISO timestamp, triggerExecution ms, commitOffsets ms, addBatch ms], ...] */
  public static String json() {
    synchronized (BATCHES) {
      return "[" + String.join(", ", BATCHES) + "]";
    }
  }
}
