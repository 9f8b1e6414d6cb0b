package localspace.spark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code SELECT * FROM events@v12} and {@code events@20260101120000000}: Databricks' shorthand
 * for a Delta table's version or timestamp (Databricks docs, "Work with Delta Lake table
 * history": "@ syntax", the timestamp as yyyyMMddHHmmssSSS). Open-source Delta parses only
 * {@code VERSION AS OF} and {@code TIMESTAMP AS OF}, so the suffix is written out as those
 * before Spark parses the text; string literals, quoted names and comments are left alone.
 */
final class TimeTravelSuffix {
  private TimeTravelSuffix() {}

  private static final Pattern SUFFIX = Pattern.compile("(?<=[A-Za-z0-9_`])@(?:v(\\d+)|(\\d{17}))(?![A-Za-z0-9_])");

  static String moved(String sql) {
    if (sql.indexOf('@') < 0) {
      return sql;
    }
    StringBuilder out = new StringBuilder();
    int done = 0;
    for (int i = SqlText.skip(sql, 0); i < sql.length(); i = SqlText.skip(sql, i + 1)) {
      if (sql.charAt(i) != '@') {
        continue;
      }
      Matcher m = SUFFIX.matcher(sql).region(i, sql.length());
      m.useTransparentBounds(true);
      if (!m.lookingAt()) {
        continue;
      }
      out.append(sql, done, i);
      if (m.group(1) != null) {
        out.append(" VERSION AS OF ").append(m.group(1));
      } else {
        String t = m.group(2);
        out.append(" TIMESTAMP AS OF '").append(t, 0, 4).append('-').append(t, 4, 6).append('-')
            .append(t, 6, 8).append(' ').append(t, 8, 10).append(':').append(t, 10, 12).append(':')
            .append(t, 12, 14).append('.').append(t, 14, 17).append('\'');
      }
      done = m.end();
      i = m.end() - 1;
    }
    return out.append(sql.substring(done)).toString();
  }
}
