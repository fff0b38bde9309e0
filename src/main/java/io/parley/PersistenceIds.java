package io.parley;

import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;

/** The persistence id of a sharded entity whose id comes from outside (a user id, an idempotency key). */
public final class PersistenceIds {
  private PersistenceIds() {}

  /**
   * {@code PersistenceId.of} refuses an entity id holding its separator '|', which Auth0 user ids ({@code auth0|abc})
   * and keys built from a webhook row's id may hold: the entity would never start. Built by hand, the id is the
   * string {@code of} gave every id it accepted, so the journals written before still recover.
   */
  public static PersistenceId of(EntityTypeKey<?> entityKey, String entityId) {
    return PersistenceId.ofUniqueId(entityKey.name() + PersistenceId.DefaultSeparator() + entityId);
  }
}
