package io.parley.webhook;

import java.nio.ByteBuffer;

/**
 * The newest {@code capacity} 128-bit digests, the oldest dropped first, in arrays allocated once. A set of digest
 * objects made two objects per webhook that lived for minutes (a window holds thousands), so each young collection
 * copied them again until they were old enough to promote: most of the collector's pause at 2,000 webhooks/s.
 *
 * <p>A ring of the digests in arrival order, and an open-addressing index of ring positions with linear probing.
 * The index is at most half full, and a digest's bits are uniform, so its probes stay short.
 */
final class DigestWindow {
  static final int BYTES = 16;

  private final long[] highs;
  private final long[] lows;
  /** Ring position + 1 of the digest in each slot; 0 is an empty slot. */
  private final int[] index;
  private final int mask;
  private int oldest;
  private int size;

  DigestWindow(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("a window holds at least one digest, not " + capacity);
    highs = new long[capacity];
    lows = new long[capacity];
    index = new int[Integer.highestOneBit(capacity) << 2];
    mask = index.length - 1;
  }

  int size() {
    return size;
  }

  boolean contains(long high, long low) {
    return slotOf(high, low) >= 0;
  }

  /** Adds a digest as the newest, dropping the oldest when full; a digest already held keeps its place. */
  void add(long high, long low) {
    if (contains(high, low)) return;
    if (size == highs.length) {
      unindex(slotOf(highs[oldest], lows[oldest]));
      oldest = next(oldest);
      size--;
    }
    int position = (oldest + size) % highs.length;
    highs[position] = high;
    lows[position] = low;
    int slot = home(high);
    while (index[slot] != 0) slot = (slot + 1) & mask;
    index[slot] = position + 1;
    size++;
  }

  /** The digests, oldest first, 16 bytes each: high then low, big-endian. */
  byte[] toBytes() {
    ByteBuffer bytes = ByteBuffer.allocate(size * BYTES);
    for (int i = 0, position = oldest; i < size; i++, position = next(position)) {
      bytes.putLong(highs[position]).putLong(lows[position]);
    }
    return bytes.array();
  }

  /** Adds digests as {@link #toBytes()} writes them, in their order. */
  void addAll(byte[] digests) {
    if (digests.length % BYTES != 0) {
      throw new IllegalArgumentException("Key digests of " + digests.length + " bytes are not 16 bytes each");
    }
    ByteBuffer bytes = ByteBuffer.wrap(digests);
    while (bytes.hasRemaining()) add(bytes.getLong(), bytes.getLong());
  }

  private int slotOf(long high, long low) {
    for (int slot = home(high); index[slot] != 0; slot = (slot + 1) & mask) {
      int position = index[slot] - 1;
      if (highs[position] == high && lows[position] == low) return slot;
    }
    return -1;
  }

  /**
   * Empties a slot and moves later entries of its probe run back into the hole when their home allows it, so that
   * every entry stays reachable from its home without tombstones.
   */
  private void unindex(int slot) {
    int hole = slot;
    for (int probe = (slot + 1) & mask; index[probe] != 0; probe = (probe + 1) & mask) {
      int home = home(highs[index[probe] - 1]);
      if (((probe - home) & mask) >= ((probe - hole) & mask)) {
        index[hole] = index[probe];
        hole = probe;
      }
    }
    index[hole] = 0;
  }

  private int home(long high) {
    return (int) high & mask;
  }

  private int next(int position) {
    return position + 1 == highs.length ? 0 : position + 1;
  }
}
