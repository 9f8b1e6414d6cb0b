package localspace.spark;

/**
 * The one-line refusal of a Databricks feature localspace does not provide, naming the README
 * section that lists each engine's limits (issue 10: "localspace does not emulate ...").
 */
final class NotEmulated {
  private NotEmulated() {
  }

  static UnsupportedOperationException refusal(String what) {
    return new UnsupportedOperationException(
        "localspace does not emulate " + what + " (README section 'What each engine does')");
  }
}
