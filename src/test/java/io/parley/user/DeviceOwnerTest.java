package io.parley.user;

import static org.assertj.core.api.Assertions.assertThat;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.pattern.StatusReply;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.user.DeviceOwner.*;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One token's owner on its own; the testkit also serializes every command, event and state. */
class DeviceOwnerTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ParleyConfig.load(
              EventSourcedBehaviorTestKit.config()
                  .withFallback(ConfigFactory.parseString("akka.remote.artery.canonical.port = 0"))));

  private EventSourcedBehaviorTestKit<Command, Event, State> kit;

  @BeforeEach
  void fresh() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), new DeviceOwner(DeviceOwner.entityId("phone-1")));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /**
   * A claim names the owner it took the token from, and so does the same owner's claim again, after a restart too:
   * a retried claim whose first answer was lost, or a client's retry after the hand-over failed, hands over again.
   */
  @Test
  void aClaimNamesTheOwnerItTookTheTokenFromEvenWhenRepeated() {
    assertThat(claim("ana")).isNull();
    assertThat(owner()).isEqualTo("ana");
    assertThat(claim("ana")).as("nobody was displaced").isNull();

    assertThat(claim("bo")).isEqualTo("ana");
    assertThat(owner()).isEqualTo("bo");

    var again = kit.<StatusReply<Claimed>>runCommand(replyTo -> new Claim("bo", replyTo));
    assertThat(again.reply().getValue().previousOwner()).isEqualTo("ana");
    assertThat(again.events()).as("claiming a token one holds persists nothing").isEmpty();
    kit.restart();
    assertThat(claim("bo")).as("after recovery").isEqualTo("ana");
  }

  @Test
  void onlyTheOwnerCanReleaseTheToken() {
    claim("ana");

    var notTheOwner = kit.<StatusReply<Done>>runCommand(replyTo -> new Release("bo", replyTo));
    assertThat(notTheOwner.reply().isSuccess()).isTrue();
    assertThat(notTheOwner.events()).isEmpty();
    assertThat(owner()).isEqualTo("ana");

    var released = kit.<StatusReply<Done>>runCommand(replyTo -> new Release("ana", replyTo));
    assertThat(released.events()).containsExactly(new Released("ana"));
    assertThat(owner()).isNull();

    kit.restart();
    assertThat(owner()).as("after recovery").isNull();
    assertThat(claim("bo")).isNull();
  }

  private String claim(String userId) {
    return kit.<StatusReply<Claimed>>runCommand(replyTo -> new Claim(userId, replyTo)).reply().getValue().previousOwner();
  }

  private String owner() {
    return kit.<Owner>runCommand(GetOwner::new).reply().userId();
  }
}
