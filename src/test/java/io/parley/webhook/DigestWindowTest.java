package io.parley.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The intake's dedup window against the structure it replaced, a {@link LinkedHashSet} trimmed to its newest
 * entries. Digests are drawn with eight home slots, the first four and the last four of the index, so that probe
 * runs are long and wrap around its end: that is what exercises the removal that moves entries back into a hole.
 */
class DigestWindowTest {
  record Digest(long high, long low) {}

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 64, 1000})
  void holdsExactlyTheNewestDigestsInOrder(int capacity) {
    Random random = new Random(capacity);
    DigestWindow window = new DigestWindow(capacity);
    LinkedHashSet<Digest> expected = new LinkedHashSet<>();
    List<Digest> added = new ArrayList<>();
    for (int step = 0; step < 20_000; step++) {
      Digest digest =
          !added.isEmpty() && random.nextInt(4) == 0
              ? added.get(added.size() - 1 - random.nextInt(Math.min(added.size(), 3 * capacity)))
              : new Digest(((long) random.nextInt(16) << 32) | ((random.nextInt(8) - 4) & 0xFFFF_FFFFL), random.nextLong());
      assertThat(window.contains(digest.high(), digest.low())).as("step %d", step).isEqualTo(expected.contains(digest));
      window.add(digest.high(), digest.low());
      added.add(digest);
      expected.add(digest);
      if (expected.size() > capacity) expected.remove(expected.iterator().next());
      assertThat(window.size()).isEqualTo(expected.size());
      if (step % 997 == 0) {
        for (Digest held : expected) assertThat(window.contains(held.high(), held.low())).isTrue();
        assertThat(window.toBytes()).isEqualTo(bytesOf(expected));
      }
    }
    assertThat(window.toBytes()).isEqualTo(bytesOf(expected));
  }

  @Test
  void restoresFromItsBytesWithTheSameOrder() {
    DigestWindow window = new DigestWindow(3);
    for (long i = 1; i <= 5; i++) window.add(i, -i);
    DigestWindow restored = new DigestWindow(3);
    restored.addAll(window.toBytes());

    assertThat(restored.toBytes()).isEqualTo(window.toBytes());
    assertThat(restored.contains(2, -2)).isFalse();
    assertThat(restored.contains(3, -3)).isTrue();
    restored.add(6, -6);
    assertThat(restored.contains(3, -3)).as("the oldest is still the first to go").isFalse();
    assertThat(restored.contains(4, -4)).isTrue();
  }

  @Test
  void aSmallerWindowKeepsTheNewestOfALargerOnesBytes() {
    DigestWindow large = new DigestWindow(10);
    for (long i = 1; i <= 10; i++) large.add(i, i);
    DigestWindow small = new DigestWindow(4);
    small.addAll(large.toBytes());

    assertThat(small.size()).isEqualTo(4);
    assertThat(small.contains(6, 6)).isFalse();
    assertThat(small.contains(7, 7)).isTrue();
    assertThat(small.contains(10, 10)).isTrue();
  }

  @Test
  void refusesBytesThatAreNotWholeDigestsAndAnEmptyCapacity() {
    assertThatThrownBy(() -> new DigestWindow(2).addAll(new byte[17]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("17 bytes");
    assertThatThrownBy(() -> new DigestWindow(0)).isInstanceOf(IllegalArgumentException.class);
  }

  private static byte[] bytesOf(LinkedHashSet<Digest> digests) {
    ByteBuffer bytes = ByteBuffer.allocate(digests.size() * DigestWindow.BYTES);
    for (Digest digest : digests) bytes.putLong(digest.high()).putLong(digest.low());
    return bytes.array();
  }
}
