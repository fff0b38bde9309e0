package io.parley.tools;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fixed-bucket, log-linear histogram of non-negative values (nanoseconds here), safe to record into from many
 * threads at once. Values below 128 have a bucket each; above, every power of two is split into 64 equal buckets, so
 * a reported percentile is within 1/64 (1.6 %) of the true value. Percentiles report the upper end of their bucket,
 * clamped to the largest value recorded. A stand-in for HdrHistogram, which is not on the classpath.
 */
public final class LatencyHistogram {
  private static final int SUB_BITS = 7;
  private static final int HALF = 1 << (SUB_BITS - 1); // 64 buckets per power of two
  private static final int DIRECT = 1 << SUB_BITS; // 128 values with a bucket each
  private static final int BUCKETS = DIRECT + HALF * (64 - SUB_BITS);

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final LongAdder total = new LongAdder();
  private final LongAdder sum = new LongAdder();
  private final AtomicLong max = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong min = new AtomicLong(Long.MAX_VALUE);

  public void record(long value) {
    long v = Math.max(0, value);
    counts.incrementAndGet(index(v));
    total.increment();
    sum.add(v);
    max.accumulateAndGet(v, Math::max);
    min.accumulateAndGet(v, Math::min);
  }

  public long count() {
    return total.sum();
  }

  public long max() {
    return count() == 0 ? 0 : max.get();
  }

  public long min() {
    return count() == 0 ? 0 : min.get();
  }

  public double mean() {
    long n = count();
    return n == 0 ? 0 : sum.sum() / (double) n;
  }

  /** The value at or below which {@code percent} % of the recorded values fall; 0 when nothing was recorded. */
  public long percentile(double percent) {
    long n = 0;
    long[] snapshot = new long[BUCKETS];
    for (int i = 0; i < BUCKETS; i++) {
      snapshot[i] = counts.get(i);
      n += snapshot[i];
    }
    if (n == 0) return 0;
    long rank = Math.max(1, (long) Math.ceil(percent / 100.0 * n));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += snapshot[i];
      if (seen >= rank) return Math.max(min(), Math.min(max(), highestIn(i)));
    }
    return max();
  }

  static int index(long v) {
    if (v < DIRECT) return (int) v;
    int msb = 63 - Long.numberOfLeadingZeros(v); // >= SUB_BITS
    int shift = msb - SUB_BITS + 1; // >= 1
    int mantissa = (int) (v >>> shift); // in [HALF, 2 * HALF)
    return HALF * shift + mantissa;
  }

  /** The largest value that falls in bucket {@code i}. */
  static long highestIn(int i) {
    if (i < DIRECT) return i;
    int shift = i / HALF - 1;
    long mantissa = i - (long) HALF * shift;
    return ((mantissa + 1) << shift) - 1;
  }
}
