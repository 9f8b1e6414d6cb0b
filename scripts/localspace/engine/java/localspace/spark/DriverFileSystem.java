package localspace.spark;

import java.net.URI;
import org.apache.hadoop.fs.LocalFileSystem;

/**
 * {@code file:} paths as a Databricks driver sees them: {@code file:/Workspace/...} (Databricks,
 * "Work with workspace files": {@code spark.read.load(f"file:{os.getcwd()}/data.csv")}),
 * {@code file:/Volumes/...} and {@code file:/dbfs/...} are the same files as their DBFS
 * spellings; every other {@code file:} path is this machine's own. Set as {@code fs.file.impl};
 * it is still Hadoop's {@link LocalFileSystem} (checksums, and {@code FileSystem.getLocal},
 * which Spark calls, casts to it), over a raw file system that maps those three prefixes as
 * {@link DbfsFileSystem} does and keeps the spelling a path was given in statuses.
 */
public class DriverFileSystem extends LocalFileSystem {
  public DriverFileSystem() {
    super(new Raw());
  }

  /** The raw layer: DBFS's mapping for the mounted prefixes, this machine's paths otherwise. */
  public static class Raw extends DbfsFileSystem {
    private static final URI NAME = URI.create("file:///");

    @Override
    public URI getUri() {
      return NAME;
    }

    @Override
    public String getScheme() {
      return "file";
    }

    @Override
    String local(String p) {
      boolean mounted = p.equals("/Volumes") || p.startsWith("/Volumes/") || p.equals("/Workspace")
          || p.startsWith("/Workspace/") || p.equals("/dbfs") || p.startsWith("/dbfs/");
      return mounted ? super.local(p) : p;
    }
  }
}
