package localspace.spark;

/**
 * Reading SQL text the way Spark's lexer does, for the clauses localspace writes out before
 * Spark parses a statement ({@link Qualify}, {@link TimeTravelSuffix}): where string literals
 * ('...' and "..." with backslash escapes), quoted names (`...`) and comments end.
 */
final class SqlText {
  private SqlText() {}

  /** The first index at or after {@code i} that is not inside a literal, identifier or comment. */
  static int skip(String sql, int i) {
    while (i < sql.length()) {
      char c = sql.charAt(i);
      if (c == '\'' || c == '"' || c == '`') {
        int j = i + 1;
        while (j < sql.length() && sql.charAt(j) != c) {
          j += sql.charAt(j) == '\\' && c != '`' ? 2 : 1;
        }
        i = j + 1;
      } else if (sql.startsWith("--", i)) {
        int nl = sql.indexOf('\n', i);
        i = nl < 0 ? sql.length() : nl + 1;
      } else if (sql.startsWith("/*", i)) {
        int close = sql.indexOf("*/", i + 2);
        i = close < 0 ? sql.length() : close + 2;
      } else {
        return i;
      }
    }
    return i;
  }
}
