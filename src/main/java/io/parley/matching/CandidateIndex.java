package io.parley.matching;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One partition's candidates with an inverted index from skill to candidates, so that matching a job touches only
 * the candidates who have at least one of its skills. Candidates live in numbered slots; postings are arrays of
 * slot numbers, and skill and city strings are shared between profiles, which keeps a million candidates in a few
 * hundred megabytes. Not thread-safe: one partition entity owns it.
 */
public final class CandidateIndex {
  private final Map<String, Integer> slotOf = new HashMap<>();
  private final Map<String, Postings> postings = new HashMap<>();
  /** One instance of every skill and city string, shared by all profiles. */
  private final Map<String, String> shared = new HashMap<>();
  private CandidateProfile[] profiles = new CandidateProfile[256];
  private int[] counts = new int[256];
  // What scoring needs of each slot, in arrays beside the profiles: a popular job scores most of the partition, and
  // reading these is a few cache lines where following each profile's pointers was a cache miss per candidate.
  private static final Level[] LEVELS = Level.values();
  private static final byte NO_LEVEL = -1;
  private static final byte OPEN_TO_REMOTE = 1;
  private static final byte JOB_ALERTS = 2;
  private byte[] levels = new byte[256];
  /** Each slot's city as its one shared instance: equal cities are the same reference, compared with ==. */
  private String[] cities = new String[256];
  private byte[] flags = new byte[256];
  private String[] userIds = new String[256];
  /** Each slot's version (its row's updated_at), null when its event carried none: see {@link RowVersions}. */
  private Instant[] versions = new Instant[256];
  /**
   * The version of each deleted candidate, oldest deletion first, at most {@code maxTombstones}: an INSERT or UPDATE
   * that was sent before the DELETE and arrives after it must not bring the candidate back.
   */
  private final LinkedHashMap<String, Instant> tombstones = new LinkedHashMap<>();
  private final int maxTombstones;
  /**
   * The slots one match touched, kept between matches: a popular job touches most of the partition, and a list
   * grown afresh each time was tens of megabytes of garbage per job, whose collections were the slowest matches.
   */
  private final Postings touched = new Postings();
  private final Postings freeSlots = new Postings();
  private int forgottenSinceCompaction;
  private int used;

  /** An index that remembers no deletion: events apply in the order they come, as for tables without a version. */
  public CandidateIndex() {
    this(0);
  }

  public CandidateIndex(int maxTombstones) {
    this.maxTombstones = maxTombstones;
  }

  public int size() {
    return slotOf.size();
  }

  int sharedStrings() {
    return shared.size();
  }

  /** Whether exactly this profile is already indexed: indexing it again would change nothing. */
  public boolean holds(CandidateProfile profile) {
    Integer slot = slotOf.get(profile.candidateId());
    return slot != null && profiles[slot].equals(profile);
  }

  /** Whether exactly this profile, of this version, is indexed: indexing it again would change nothing. */
  public boolean holds(CandidateProfile profile, Instant version) {
    return holds(profile) && Objects.equals(versions[slotOf.get(profile.candidateId())], version);
  }

  public boolean contains(String candidateId) {
    return slotOf.containsKey(candidateId);
  }

  /** Whether the candidate is indexed and still wants job alerts. */
  public boolean wantsJobAlerts(String candidateId) {
    Integer slot = slotOf.get(candidateId);
    return slot != null && (flags[slot] & JOB_ALERTS) != 0;
  }

  /** The version of the candidate's profile, or of their tombstone when deleted; null when unknown. */
  public Instant versionOf(String candidateId) {
    Integer slot = slotOf.get(candidateId);
    return slot != null ? versions[slot] : tombstones.get(candidateId);
  }

  /**
   * Whether a profile of this version is newer than what the index holds of the candidate (RowVersions); one with no
   * version is judged by when it was received.
   */
  public boolean isNewer(String candidateId, Instant version, Instant receivedAt) {
    return RowVersions.writes(version, receivedAt, versionOf(candidateId), !contains(candidateId));
  }

  /** Whether a deletion of this version is newer than what the index holds of the candidate. */
  public boolean isNewerDeletion(String candidateId, Instant version) {
    return RowVersions.deletes(version, versionOf(candidateId));
  }

  public void put(CandidateProfile profile) {
    put(profile, null);
  }

  public void put(CandidateProfile profile, Instant version) {
    tombstones.remove(profile.candidateId());
    Integer slot = slotOf.get(profile.candidateId());
    if (slot != null) {
      unpost(profiles[slot], slot);
      forgotten();
    } else {
      slot = allocate();
      slotOf.put(profile.candidateId(), slot);
    }
    CandidateProfile compact = compact(profile);
    profiles[slot] = compact;
    levels[slot] = compact.level() == null ? NO_LEVEL : (byte) compact.level().ordinal();
    cities[slot] = compact.city();
    userIds[slot] = compact.userId();
    versions[slot] = version;
    flags[slot] = (byte) ((compact.openToRemote() ? OPEN_TO_REMOTE : 0) | (compact.jobAlerts() ? JOB_ALERTS : 0));
    for (String skill : compact.skills()) postings.computeIfAbsent(skill, s -> new Postings()).add(slot);
  }

  public void remove(String candidateId) {
    remove(candidateId, null);
  }

  /** Removes the candidate, and when {@code tombstone} is not null remembers their deletion at that version. */
  public void remove(String candidateId, Instant tombstone) {
    if (tombstone != null && maxTombstones > 0) {
      // Removed first, so that a deletion deleted again counts as the newest.
      tombstones.remove(candidateId);
      tombstones.put(candidateId, tombstone);
      if (tombstones.size() > maxTombstones) tombstones.remove(tombstones.keySet().iterator().next());
    }
    Integer slot = slotOf.remove(candidateId);
    if (slot == null) return;
    unpost(profiles[slot], slot);
    profiles[slot] = null;
    flags[slot] = 0;
    cities[slot] = null;
    userIds[slot] = null;
    versions[slot] = null;
    freeSlots.add(slot);
    forgotten();
  }

  /**
   * Counts profiles replaced or removed, and once they outnumber the live ones, drops the shared strings no live
   * profile uses any more: skills and cities come from webhook rows, and would otherwise pile up forever.
   * The live ones keep their instances, so the identity comparisons of matching still hold.
   */
  private void forgotten() {
    if (++forgottenSinceCompaction <= Math.max(10_000, size())) return;
    forgottenSinceCompaction = 0;
    Map<String, String> live = new HashMap<>();
    for (int slot = 0; slot < used; slot++) {
      CandidateProfile p = profiles[slot];
      if (p == null) continue;
      for (String skill : p.skills()) live.put(skill, skill);
      if (p.city() != null) live.put(p.city(), p.city());
      if (p.locationLabel() != null) live.put(p.locationLabel(), p.locationLabel());
    }
    shared.keySet().retainAll(live.keySet());
  }

  /** Every indexed profile, for a snapshot. */
  public List<CandidateProfile> profiles() {
    List<CandidateProfile> all = new ArrayList<>(size());
    for (int slot = 0; slot < used; slot++) if (profiles[slot] != null) all.add(profiles[slot]);
    return all;
  }

  /** The version of each of {@link #profiles()}, in the same order, null where unknown; for a snapshot. */
  public List<Instant> versions() {
    List<Instant> all = new ArrayList<>(size());
    for (int slot = 0; slot < used; slot++) if (profiles[slot] != null) all.add(versions[slot]);
    return all;
  }

  /** The deleted candidates' versions, oldest deletion first; for a snapshot. */
  public Map<String, Instant> tombstones() {
    return new LinkedHashMap<>(tombstones);
  }

  /**
   * A candidate who matches a job, in the order of {@link #RANKING}. The candidate id makes the order total: ties in
   * score are the rule, and left to the posting lists their order would change with every recovery or indexing.
   */
  public record Ranked(String candidateId, String userId, double score, List<String> reasons) {
    public CandidateMatch toMatch() {
      return new CandidateMatch(userId, score, reasons);
    }
  }

  /** Best score first, then candidate id: a job's matches computed again are in the same order. */
  public static final Comparator<Ranked> RANKING = (a, b) -> ranking(a, b.score(), b.candidateId());

  /** Where {@code ranked} stands against the match with this score and candidate id: negative if before it. */
  public static int ranking(Ranked ranked, double score, String candidateId) {
    int byScore = Double.compare(score, ranked.score());
    return byScore != 0 ? byScore : ranked.candidateId().compareTo(candidateId);
  }

  /** The candidates who match the job and did not opt out of job alerts, in the order of {@link #RANKING}. */
  public List<Ranked> match(JobPosting job, Scoring scoring) {
    List<Ranked> matches = new ArrayList<>();
    // Null when the job names no city or no candidate here lives there: then no slot's city is the same.
    String city = job.city() == null ? null : shared.get(job.city());
    Scoring.JobScores scores = scoring.scoresOf(job);
    if (scoring.zeroSkillCanMatch()) {
      // The weights let a candidate without any of the job's skills match, so the index cannot narrow the search.
      for (int slot = 0; slot < used; slot++) {
        CandidateProfile p = profiles[slot];
        if (p != null) consider(scores, slot, Scoring.sharedSkills(job, p), city, matches);
      }
    } else if (!job.skills().isEmpty()) {
      int minimum = Math.max(1, scoring.minimumSkills(job.skills().size()));
      touched.size = 0;
      for (String skill : job.skills()) {
        Postings slots = postings.get(skill);
        if (slots == null) continue;
        for (int i = 0; i < slots.size; i++) {
          int slot = slots.values[i];
          if (counts[slot]++ == 0) touched.add(slot);
        }
      }
      for (int i = 0; i < touched.size; i++) {
        int slot = touched.values[i];
        int matched = counts[slot];
        counts[slot] = 0;
        if (matched >= minimum) consider(scores, slot, matched, city, matches);
      }
    }
    matches.sort(RANKING);
    return matches;
  }

  /** Scores one slot from its arrays; {@code city} is the job's city as its shared instance, or null. */
  private void consider(Scoring.JobScores scores, int slot, int matched, String city, List<Ranked> matches) {
    if ((flags[slot] & JOB_ALERTS) == 0) return;
    Level level = levels[slot] == NO_LEVEL ? null : LEVELS[levels[slot]];
    boolean sameCity = city != null && cities[slot] == city;
    boolean openToRemote = (flags[slot] & OPEN_TO_REMOTE) != 0;
    Scoring.Result result = scores.matching(matched, level, sameCity, openToRemote);
    if (result != null) {
      matches.add(new Ranked(profiles[slot].candidateId(), userIds[slot], result.fraction(), result.reasons()));
    }
  }

  private CandidateProfile compact(CandidateProfile p) {
    String[] skills = new String[p.skills().size()];
    for (int i = 0; i < skills.length; i++) skills[i] = share(p.skills().get(i));
    String userId = p.userId().equals(p.candidateId()) ? p.candidateId() : p.userId();
    return new CandidateProfile(
        p.candidateId(),
        userId,
        List.of(skills),
        p.level(),
        share(p.city()),
        share(p.locationLabel()),
        p.openToRemote(),
        p.jobAlerts());
  }

  private String share(String value) {
    return value == null ? null : shared.computeIfAbsent(value, v -> v);
  }

  private void unpost(CandidateProfile old, int slot) {
    for (String skill : old.skills()) {
      Postings slots = postings.get(skill);
      if (slots != null) {
        slots.remove(slot);
        if (slots.size == 0) postings.remove(skill);
      }
    }
  }

  private int allocate() {
    if (freeSlots.size > 0) return freeSlots.values[--freeSlots.size];
    if (used == profiles.length) {
      profiles = Arrays.copyOf(profiles, used * 2);
      counts = Arrays.copyOf(counts, used * 2);
      levels = Arrays.copyOf(levels, used * 2);
      cities = Arrays.copyOf(cities, used * 2);
      flags = Arrays.copyOf(flags, used * 2);
      userIds = Arrays.copyOf(userIds, used * 2);
      versions = Arrays.copyOf(versions, used * 2);
    }
    return used++;
  }

  /** A growable list of slot numbers. */
  private static final class Postings {
    int[] values = new int[4];
    int size;

    void add(int value) {
      if (size == values.length) values = Arrays.copyOf(values, size * 2);
      values[size++] = value;
    }

    /** Order does not matter in a posting list, so the last value fills the hole. */
    void remove(int value) {
      for (int i = 0; i < size; i++) {
        if (values[i] == value) {
          values[i] = values[--size];
          return;
        }
      }
    }
  }
}
