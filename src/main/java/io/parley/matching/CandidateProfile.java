package io.parley.matching;

import io.parley.CborSerializable;
import java.util.List;

/**
 * What the index keeps of a candidate to score them: {@code candidateId} is the row's key, {@code userId} the user
 * who is notified. Skills are index keys ({@link Skills}); {@code city} is a {@link Locations#city} key.
 */
public record CandidateProfile(
    String candidateId,
    String userId,
    List<String> skills,
    Level level,
    String city,
    String locationLabel,
    boolean openToRemote,
    boolean jobAlerts)
    implements CborSerializable {}
