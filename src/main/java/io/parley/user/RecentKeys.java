package io.parley.user;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.parley.CborSerializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The newest idempotency keys a sender's retries are checked against, oldest first and bounded. What a new key
 * pushes out is decided with the command and recorded in its event, so that a replay gives the same window whatever
 * the bound is by then. Serialized as a plain array, as the lists it replaced were in older snapshots.
 */
public record RecentKeys(List<String> oldestFirst) implements CborSerializable {
  public static final RecentKeys EMPTY = new RecentKeys(List.of());

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public RecentKeys {
    oldestFirst = oldestFirst == null ? List.of() : List.copyOf(oldestFirst);
  }

  @JsonValue
  @Override
  public List<String> oldestFirst() {
    return oldestFirst;
  }

  public boolean contains(String key) {
    return key != null && oldestFirst.contains(key);
  }

  /** The keys that leave a window of {@code bound} keys when {@code key} enters it; none for a null key. */
  public List<String> forgottenBy(String key, int bound) {
    if (key == null) return List.of();
    int over = oldestFirst.size() + 1 - bound;
    return over <= 0 ? List.of() : List.copyOf(oldestFirst.subList(0, Math.min(over, oldestFirst.size())));
  }

  /** This window with {@code key} added (when not null) and {@code forgotten} gone. */
  public RecentKeys with(String key, List<String> forgotten) {
    if (key == null) return this;
    Set<String> gone = Set.copyOf(forgotten);
    List<String> keys = new ArrayList<>(oldestFirst.size() + 1);
    for (String k : oldestFirst) if (!gone.contains(k)) keys.add(k);
    keys.add(key);
    return new RecentKeys(keys);
  }
}
