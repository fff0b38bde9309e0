package io.parley.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.parley.testkit.NodeReadiness;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The load generator against a real node over real sockets, run in-process for a few seconds. */
class LoadGeneratorTest {

  @ParameterizedTest
  @EnumSource(LoadGenerator.ClientKind.class)
  @Timeout(60)
  void deliversMessagesAndMeasuresLatency(LoadGenerator.ClientKind client) throws Exception {
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database)) {
      LoadGenerator.Options options =
          LoadGenerator.Options.of(node.uri("/").toString(), TestNode.JWT_SECRET, 20, 10, 50, 3)
              .withWarmup(1)
              .withSourceAddresses(2)
              .withDrainSeconds(5)
              .withClient(client);

      LoadGenerator.Result result = LoadGenerator.run(options, System.out);

      assertThat(result.connected()).isEqualTo(20);
      assertThat(result.connectFailed()).isZero();
      assertThat(result.sourceAddresses()).isEqualTo(2);
      assertThat(result.conversationsCreated()).isEqualTo(10);
      assertThat(result.activeConversations()).isEqualTo(10);
      // The rate it reaches depends on the machine: measured in benchmarks (docs/benchmarks.md), not asserted here.
      assertThat(result.sent()).as("messages sent").isPositive();
      assertThat(result.delivered()).isEqualTo(result.sent());
      assertThat(result.lost()).isZero();
      assertThat(result.acked()).isGreaterThanOrEqualTo(result.sent());
      assertThat(result.deliveredPerSecond()).isPositive();
      assertThat(result.p50Ms()).isPositive();
      assertThat(result.p99Ms()).isGreaterThanOrEqualTo(result.p50Ms());
      assertThat(result.p999Ms()).isGreaterThanOrEqualTo(result.p99Ms());
      assertThat(result.maxMs()).isGreaterThanOrEqualTo(result.p999Ms());
      assertThat(result.ackP50Ms()).isPositive();
      assertThat(result.errorFrames()).as("error codes %s", result.errorCodes()).isZero();
      assertThat(result.errors()).isZero();
      assertThat(result.openAtEnd()).isEqualTo(20);
      assertThat(result.generatorCpuSeconds()).isPositive();
      NodeReadiness.awaitSettled(node.node());
    }
  }

  @Test
  @Timeout(60)
  void countsConnectionsRefusedForABadTokenAsFailures() throws Exception {
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database)) {
      LoadGenerator.Options options =
          LoadGenerator.Options.of(node.uri("/").toString(), "another-secret-with-at-least-thirty-two-chars", 4, 0, 0, 1)
              .withConnectTimeout(10);

      LoadGenerator.Result result = LoadGenerator.run(options, System.out);

      assertThat(result.connected()).isZero();
      assertThat(result.connectFailed()).isEqualTo(4);
      assertThat(result.connectFailures()).containsOnlyKeys("closed before connected (4001 token_bad_signature)");
      assertThat(result.errorFrames()).as("the error frame before the close").isEqualTo(4);
      assertThat(result.errors()).isEqualTo(8);
    }
  }

  @Test
  void histogramPercentilesAreWithinTheBucketPrecision() {
    LatencyHistogram histogram = new LatencyHistogram();
    long[] values = new long[100_000];
    Random random = new Random(7);
    for (int i = 0; i < values.length; i++) {
      values[i] = 100_000 + (long) (random.nextDouble() * 50_000_000);
      histogram.record(values[i]);
    }
    java.util.Arrays.sort(values);
    for (double p : new double[] {50, 99, 99.9}) {
      long exact = values[(int) Math.ceil(p / 100 * values.length) - 1];
      assertThat((double) histogram.percentile(p)).isCloseTo(exact, within(exact / 60.0));
    }
    assertThat(histogram.percentile(100)).isEqualTo(values[values.length - 1]);
    assertThat(histogram.count()).isEqualTo(values.length);

    for (long v : new long[] {0, 1, 127, 128, 129, 255, 256, 1_000_003, Long.MAX_VALUE / 2}) {
      int bucket = LatencyHistogram.index(v);
      assertThat(LatencyHistogram.highestIn(bucket)).isGreaterThanOrEqualTo(v);
      if (bucket > 0) assertThat(LatencyHistogram.highestIn(bucket - 1)).isLessThan(v);
    }
  }

  @Test
  void talksOnlyToLoopback() {
    assertThatThrownBy(() -> LoadGenerator.loopbackV4("10.0.0.1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LoadGenerator.Options.parse(new String[] {"--secret", "s", "--clients", "4", "--conversations", "5"}))
        .hasMessageContaining("--conversations");
    assertThatThrownBy(() -> LoadGenerator.Options.parse(new String[] {"--secret", "s", "--client", "netty"}))
        .hasMessageContaining("--client must be nio or akka");
    assertThat(LoadGenerator.Options.parse(new String[] {"--secret", "s"}).client())
        .isEqualTo(LoadGenerator.ClientKind.NIO);
    assertThat(LoadGenerator.Options.parse(new String[] {"--secret", "s", "--client", "akka"}).client())
        .isEqualTo(LoadGenerator.ClientKind.AKKA);
  }
}
