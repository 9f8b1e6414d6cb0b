package localspace.spark;

import java.io.File;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Databricks paths as a Hadoop file system, so every Spark reader, writer, checkpoint and
 * SQL path literal sees them without any Python-side help.
 *
 * <p>The emulator sets {@code fs.defaultFS=dbfs:///} and {@code fs.dbfs.impl} to this class, as
 * a Databricks cluster's default file system is DBFS. A path Spark hands us keeps its
 * Databricks spelling everywhere Spark shows it ({@code input_file_name()}, {@code
 * _metadata.file_path}, error messages: {@code dbfs:/Volumes/dev/sbit/landing/x.json}); only
 * {@link #pathToFile}, which every RawLocalFileSystem operation goes through, decides where the
 * bytes live under the emulator's root:
 *
 * <ul>
 *   <li>{@code /Volumes/...} under {@code localspace.volumes}
 *   <li>{@code /Workspace/...} under {@code localspace.workspace}
 *   <li>{@code /dbfs/...} and every other absolute path under {@code localspace.dbfs}
 *       (on Databricks a bare path is a DBFS path)
 * </ul>
 *
 * <p>Paths under the emulator's own root pass through unchanged: Spark's local directories
 * and the warehouse are given as absolute local paths.
 */
public class DbfsFileSystem extends RawLocalFileSystem {
  private static final URI NAME = URI.create("dbfs:///");
  private String root;
  String volumes;
  private String workspace;
  private String dbfs;

  @Override
  public void initialize(URI uri, Configuration conf) throws java.io.IOException {
    super.initialize(uri, conf);
    root = required(conf, "localspace.root");
    volumes = required(conf, "localspace.volumes");
    workspace = required(conf, "localspace.workspace");
    dbfs = required(conf, "localspace.dbfs");
  }

  private static String required(Configuration conf, String key) {
    String value = conf.get(key);
    if (value == null) {
      throw new IllegalStateException("localspace: Hadoop configuration lacks " + key);
    }
    return value;
  }

  @Override
  public URI getUri() {
    return NAME;
  }

  @Override
  public String getScheme() {
    return "dbfs";
  }

  @Override
  protected void checkPath(Path path) {
    String scheme = path.toUri().getScheme();
    if (scheme != null && !scheme.equals("dbfs") && !scheme.equals("file")) {
      super.checkPath(path);
    }
  }

  @Override
  public File pathToFile(Path path) {
    if (!path.isAbsolute()) {
      path = new Path(getWorkingDirectory(), path);
    }
    String p = path.toUri().getPath();
    return new File(local(p));
  }

  // RawLocalFileSystem builds statuses from the local File; a status keeps the spelling of
  // the path it was asked for (/dbfs/x stays /dbfs/x, /Volumes/... stays /Volumes/...).

  @Override
  public org.apache.hadoop.fs.FileStatus getFileStatus(Path f) throws java.io.IOException {
    org.apache.hadoop.fs.FileStatus status = super.getFileStatus(f);
    status.setPath(makeQualified(f));
    return status;
  }

  @Override
  public org.apache.hadoop.fs.FileStatus getFileLinkStatus(Path f) throws java.io.IOException {
    org.apache.hadoop.fs.FileStatus status = super.getFileLinkStatus(f);
    status.setPath(makeQualified(f));
    return status;
  }

  @Override
  public org.apache.hadoop.fs.FileStatus[] listStatus(Path f) throws java.io.IOException {
    org.apache.hadoop.fs.FileStatus[] statuses;
    try {
      statuses = super.listStatus(f);
    } catch (java.io.FileNotFoundException e) {
      throw isSampleData(f) ? sampleDataMissing(f) : e;
    }
    Path asked = makeQualified(f);
    boolean file = pathToFile(f).isFile();
    for (org.apache.hadoop.fs.FileStatus status : statuses) {
      status.setPath(file ? asked : new Path(asked, status.getPath().getName()));
    }
    return statuses;
  }

  /**
   * {@code /databricks-datasets}, the sample data every workspace mounts, is not here unless a
   * test put files there (DBFS API, e.g. a plan's upload step): a read or listing of a missing
   * one says so in one line instead of Spark's "Path does not exist", which reads like a typo.
   */
  @Override
  public boolean exists(Path f) throws java.io.IOException {
    boolean found = super.exists(f);
    if (!found && isSampleData(f)) {
      throw sampleDataMissing(f);
    }
    return found;
  }

  private boolean isSampleData(Path f) {
    String p = makeQualified(f).toUri().getPath();
    return p.matches("/(dbfs/)?databricks-datasets(/.*)?");
  }

  private java.io.FileNotFoundException sampleDataMissing(Path f) {
    return new java.io.FileNotFoundException("localspace does not emulate /databricks-datasets, Databricks' "
        + "sample data (see README \"What each engine does\"): dbfs:" + makeQualified(f).toUri().getPath()
        + " is not there; upload the files the notebook reads to dbfs:/databricks-datasets/... first "
        + "(a plan's upload step)");
  }

  /**
   * A folder is made only inside a volume that exists: on Databricks a write to
   * {@code /Volumes/dev/sbit/nope/x} fails (no such volume) instead of making one, and
   * nothing can be written beside the volumes of a schema.
   */
  @Override
  public boolean mkdirs(Path f) throws java.io.IOException {
    inAVolume(f);
    return super.mkdirs(f);
  }

  @Override
  public boolean mkdirs(Path f, org.apache.hadoop.fs.permission.FsPermission permission) throws java.io.IOException {
    inAVolume(f);
    return super.mkdirs(f, permission);
  }

  private void inAVolume(Path f) throws java.io.FileNotFoundException {
    String p = makeQualified(f).toUri().getPath();
    if (p.startsWith("/Volumes/")) {
      String[] parts = p.substring("/Volumes/".length()).split("/");
      if (parts.length < 3 || !new File(volumes, parts[0] + "/" + parts[1] + "/" + parts[2]).isDirectory()) {
        throw new java.io.FileNotFoundException("[VOLUME_NOT_FOUND] " + (parts.length < 3 ? p
            + " is not inside a volume: files live in /Volumes/<catalog>/<schema>/<volume>/..."
            : "Volume `" + parts[0] + "`.`" + parts[1] + "`.`" + parts[2] + "` does not exist (writing " + p
            + "); create it with CREATE VOLUME first."));
      }
    }
  }

  /** Where the Databricks path {@code p} lives on this machine. */
  String local(String p) {
    if (p.equals(root) || p.startsWith(root + "/")) {
      return p;
    }
    if (p.equals("/Volumes") || p.startsWith("/Volumes/")) {
      return volumes + p.substring("/Volumes".length());
    }
    if (p.equals("/Workspace") || p.startsWith("/Workspace/")) {
      return workspace + p.substring("/Workspace".length());
    }
    if (p.equals("/dbfs") || p.startsWith("/dbfs/")) {
      return dbfs + p.substring("/dbfs".length());
    }
    return dbfs + p;
  }
}
