package io.parley.webhook;

import com.typesafe.config.Config;
import io.parley.notification.NotificationBatch;
import io.parley.testkit.ProjectionOffsets;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.user.User;

/**
 * Waits until the projections downstream of the webhooks have handled every event stored so far: each stores its
 * offset once an event's effects are done, so a test can then say that something did not happen, rather than sleep.
 */
final class WebhookProjections {
  private WebhookProjections() {}

  /** The processing projection is past every stored webhook: their notifications (MatchNotifier calls) are made. */
  static void awaitProcessed(TestDatabase database, TestNode node) {
    ProjectionOffsets.awaitPastLastEvent(
        database,
        WebhookProcessor.NAME,
        ProjectionOffsets.tags(config(node).getInt("parley.webhook.tag-slices"), WebhookIntake::sliceTag));
  }

  /**
   * As {@link #awaitProcessed}, and then the notifications it stored are in every inbox and pushed: each projection is
   * waited for after the one that writes its events (matches store batches; an inbox that wrongly pushed would store
   * a push event as it is filled).
   */
  static void awaitDelivered(TestDatabase database, TestNode node) {
    awaitProcessed(database, node);
    ProjectionOffsets.awaitPastLastEvent(
        database,
        "batch-inbox",
        ProjectionOffsets.tags(config(node).getInt("parley.notifications.batch.tag-slices"), NotificationBatch::inboxTag));
    ProjectionOffsets.awaitPastLastEvent(
        database, "push", ProjectionOffsets.tags(config(node).getInt("parley.push.tag-slices"), User::pushTag));
  }

  private static Config config(TestNode node) {
    return node.node().system().settings().config();
  }
}
