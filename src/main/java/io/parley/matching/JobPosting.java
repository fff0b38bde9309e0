package io.parley.matching;

import io.parley.CborSerializable;
import java.util.List;

/** A job as matching sees it. Skills are index keys ({@link Skills}); {@code city} is a {@link Locations#city} key. */
public record JobPosting(
    String jobId,
    String title,
    String company,
    List<String> skills,
    Level level,
    String city,
    String locationLabel,
    boolean remote,
    String jobType,
    boolean open)
    implements CborSerializable {}
