package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.pattern.StatusReply;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.notification.NotificationBatch.*;
import io.parley.user.User;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One batch on its own; the testkit also serializes every command, event and state. */
class NotificationBatchTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ParleyConfig.load(
              EventSourcedBehaviorTestKit.config()
                  .withFallback(ConfigFactory.parseString("akka.remote.artery.canonical.port = 0"))));
  private static final User.Draft DRAFT = new User.Draft("job_match", "A job", "Paris", "{\"jobId\":\"j-1\"}", null, null);

  private EventSourcedBehaviorTestKit<Command, Event, State> kit;

  @BeforeEach
  void fresh() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), new NotificationBatch("job-1-match", 4, 4));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aChunkIsStoredOnceAndARetryStoresOnlyTheUsersItDidNotHold() {
    var first = kit.<StatusReply<Stored>>runCommand(replyTo -> new Store(DRAFT, true, List.of("ana", "bo"), replyTo));
    assertThat(first.reply().getValue()).isEqualTo(new Stored(2, 0));
    assertThat(first.events()).singleElement().satisfies(e -> {
      BatchStored stored = (BatchStored) e;
      assertThat(stored.batchId()).isEqualTo("job-1-match");
      assertThat(stored.userIds()).containsExactly("ana", "bo");
      assertThat(stored.pushed()).isTrue();
    });

    var retry = kit.<StatusReply<Stored>>runCommand(replyTo -> new Store(DRAFT, true, List.of("ana", "bo", "cy"), replyTo));
    assertThat(retry.reply().getValue()).isEqualTo(new Stored(1, 2));
    assertThat(((BatchStored) retry.events().get(0)).userIds()).containsExactly("cy");

    var again = kit.<StatusReply<Stored>>runCommand(replyTo -> new Store(DRAFT, true, List.of("cy"), replyTo));
    assertThat(again.reply().getValue()).isEqualTo(new Stored(0, 1));
    assertThat(again.events()).as("nothing new: nothing persisted").isEmpty();

    kit.restart();
    var afterRecovery = kit.<StatusReply<Stored>>runCommand(replyTo -> new Store(DRAFT, true, List.of("ana", "dee"), replyTo));
    assertThat(afterRecovery.reply().getValue()).as("the users held survive recovery").isEqualTo(new Stored(1, 1));
  }

  @Test
  void aChunkIsTaggedForTheInboxesAndForPushesOnlyWhenPushed() {
    NotificationBatch batch = new NotificationBatch("b", 4, 4);
    BatchStored pushed = new BatchStored("b", DRAFT, true, List.of("ana"), java.time.Instant.now());
    BatchStored inboxOnly = new BatchStored("b", DRAFT, false, List.of("ana"), java.time.Instant.now());
    assertThat(batch.tagsFor(pushed)).hasSize(2).anyMatch(t -> t.startsWith("push-")).anyMatch(t -> t.startsWith("batch-inbox-"));
    assertThat(batch.tagsFor(inboxOnly)).singleElement().satisfies(t -> assertThat(t).startsWith("batch-inbox-"));
  }
}
