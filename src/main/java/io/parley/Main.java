package io.parley;

import java.util.Arrays;

/**
 * Starts a Parley node. The configuration file comes from {@code -Dconfig.file}: {@code conf/local.conf} for the
 * embedded default, {@code conf/application.conf} for production. {@code bench ...} runs the WebSocket load
 * generator instead (docs/benchmarks.md).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Futures.preferPooledContinuations();
    if (args.length > 0 && args[0].equals("bench")) {
      io.parley.tools.LoadGenerator.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    ParleyNode.start(ParleyConfig.load());
  }
}
