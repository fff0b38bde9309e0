package io.parley;

/**
 * Starts a Parley node. The configuration file comes from {@code -Dconfig.file}: {@code conf/local.conf} for the
 * embedded default, {@code conf/application.conf} for production.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    ParleyNode.start(ParleyConfig.load());
  }
}
