package io.parley.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** The bodies webhook routes answer with: public API, apart from the entities' own messages. */
public final class WebhookWire {
  private WebhookWire() {}

  /**
   * 202: the event is in the journal. {@code duplicate} is true for a redelivery, which is recorded but not processed
   * again. {@code eventKey} is what deduplicates it: {@code id:<webhook-id>} when a Standard Webhooks signature covers
   * that id, else {@code row:<table>:<id>:<type>:<hash>}.
   */
  public record Accepted(
      boolean accepted, boolean duplicate, String eventKey, String table, String type, String recordId, Instant receivedAt) {}

  /** {@code POST /api/webhooks/test}: how the request authenticated and what it carried. */
  public record TestEcho(boolean ok, String authenticatedBy, int bytes, JsonNode body) {}

  /**
   * {@code GET /api/jobs/notify/status}. Every counter survives restarts: received, duplicates and the last event
   * time come from the intake partitions' journals, the others from {@code parley_match_counter}. {@code stale}
   * counts the events received but ignored because their row was already stored at a newer version.
   */
  public record Status(
      long received, long duplicates, long matched, long notified, long failed, long stale, Instant lastEventAt) {}
}
