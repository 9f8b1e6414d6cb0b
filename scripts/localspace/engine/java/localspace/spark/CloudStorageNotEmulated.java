package localspace.spark;

import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The object-store schemes a Databricks cluster reads ({@code s3://}, {@code abfss://}, {@code
 * gs://}, ...). localspace has no cloud account behind it, so a path with one of them fails in
 * one line that names the path and the way out (a volume), instead of Hadoop's "No FileSystem
 * for scheme"; dbutils.fs says the same (paths.cloud_storage_refusal). Configured per scheme as
 * {@code fs.<scheme>.impl} (spark_session.py); opening the file system is where every reader,
 * writer, checkpoint and LOCATION clause first touches it.
 */
public class CloudStorageNotEmulated extends RawLocalFileSystem {
  @Override
  public void initialize(URI uri, Configuration conf) {
    throw new UnsupportedOperationException("localspace does not emulate cloud object storage (" + uri
        + "): land the files in a volume, /Volumes/<catalog>/<schema>/<volume>/..., and point the "
        + "notebook's path setting there (README section 'What each engine does')");
  }
}
