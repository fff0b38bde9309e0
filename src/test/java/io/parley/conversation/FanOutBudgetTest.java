package io.parley.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.typed.ActorSystem;
import io.parley.UserBudgets;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A sender's messages cost one per participant they reach: a script posting to a group of made-up users runs out of
 * budget after a few messages, where the same number of messages to one person would not.
 */
class FanOutBudgetTest {
  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          "parley.conversation.fan-out-budget { recipients-per-second = 0.01, burst = 100 }\n"
              + "parley.http.rate-limit.requests-per-second = 0");

  private static Response post(String token, String conversation, String clientMsgId) {
    return live.api().post(
        "/api/conversations/" + conversation + "/messages",
        token,
        "{\"clientMsgId\":\"" + clientMsgId + "\",\"content\":\"hello all\"}");
  }

  @Test
  void messagesToAGroupAreChargedForEachRecipient() {
    String spammer = TestTokens.user("fo-spammer");
    String members = IntStream.range(0, 49).mapToObj(i -> "\"fo-made-up-" + i + "\"").collect(Collectors.joining(","));
    String group =
        live.api().post("/api/conversations", spammer, "{\"type\":\"group\",\"title\":\"Offers\",\"participantIds\":[" + members + "]}")
            .json().get("id").asText();
    // Each message pays for its 49 recipients before it is sent (the node learnt the group's size when it created it):
    // the first leaves 51, the second 2, and the third finds too few.
    for (int i = 1; i <= 2; i++) assertThat(post(spammer, group, "m" + i).status()).as("message " + i).isEqualTo(201);

    Response refused = post(spammer, group, "m3");
    assertThat(refused.status()).as(refused.body()).isEqualTo(429);
    assertThat(refused.code()).isEqualTo("rate_limited");
    assertThat(refused.raw().headers().firstValue("Retry-After")).isPresent();
    String direct =
        live.api().post("/api/conversations", spammer, "{\"type\":\"direct\",\"userId\":\"fo-friend\"}").json().get("id").asText();
    // The budget is the sender's, in every conversation: the 2 left pay for two direct messages, not three.
    assertThat(post(spammer, direct, "d1").status()).isEqualTo(201);
    assertThat(post(spammer, direct, "d2").status()).isEqualTo(201);
    assertThat(post(spammer, direct, "d3").status()).isEqualTo(429);
    // Even a retry of a stored message waits: the budget is taken before the conversation is asked.
    assertThat(post(spammer, group, "m2").status()).isEqualTo(429);

    assertThat(post(TestTokens.user("fo-made-up-7"), group, "r1").status()).as("others are not charged").isEqualTo(201);
    Response history = live.api().get("/api/conversations/" + group + "/messages", TestTokens.user("fo-made-up-7"));
    assertThat(history.json().get("lastSeq").asLong()).as("nothing refused was stored").isEqualTo(3);
  }

  /**
   * What a stranger pays before a conversation is asked must not depend on what the node knows of it: paid for as many
   * as it had, a budget short of that answered 429 where a made-up id (paid for as a group never seen) answered
   * otherwise, which told whether a group exists and roughly how large it is.
   */
  @Test
  void aStrangerIsAnsweredAsIfTheGroupDidNotExist() {
    String owner = TestTokens.user("fo-owner");
    String small = group(owner, "\"fo-mate\"");
    String large = group(owner, madeUpUsers("fo-crowd-"));
    // Both were created through this node, which has learnt their sizes (1 and 49 recipients).
    assertThat(post(owner, small, "o1").status()).isEqualTo(201);
    assertThat(post(owner, large, "o2").status()).isEqualTo(201);

    String stranger = TestTokens.user("fo-stranger");
    String own = group(stranger, madeUpUsers("fo-own-"));
    // Two messages to their own 49 leave the stranger 2 of their burst of 100.
    for (int i = 1; i <= 2; i++) assertThat(post(stranger, own, "s" + i).status()).as("message " + i).isEqualTo(201);

    String madeUp = "g_" + "0123456789abcdef".repeat(2);
    String none = answer(post(stranger, madeUp, "x1"));
    assertThat(none).startsWith("404 not_found");
    assertThat(answer(post(stranger, small, "x2"))).as("a group of two").isEqualTo(none);
    assertThat(answer(post(stranger, large, "x3"))).as("a group of fifty").isEqualTo(none);
  }

  /** A new group of {@code token}'s user with the participants of the JSON list {@code participantIds}. */
  private static String group(String token, String participantIds) {
    String body = "{\"type\":\"group\",\"title\":\"Group\",\"participantIds\":[" + participantIds + "]}";
    return live.api().post("/api/conversations", token, body).json().get("id").asText();
  }

  /** 49 quoted ids starting with {@code prefix}, for a group of fifty with its creator. */
  private static String madeUpUsers(String prefix) {
    return IntStream.range(0, 49).mapToObj(i -> "\"" + prefix + i + "\"").collect(Collectors.joining(","));
  }

  /** All a client can tell apart of an answer. */
  private static String answer(Response response) {
    return response.status() + " " + response.code() + " " + response.json().path("detail").asText()
        + " Retry-After: " + response.raw().headers().firstValue("Retry-After").orElse("none");
  }

  @Test
  void sendsInParallelCannotAllPassOnWhatIsLeft() throws Exception {
    String flooder = TestTokens.user("fo-flooder");
    String members = IntStream.range(0, 49).mapToObj(i -> "\"fo-other-" + i + "\"").collect(Collectors.joining(","));
    String group =
        live.api().post("/api/conversations", flooder, "{\"type\":\"group\",\"title\":\"Flood\",\"participantIds\":[" + members + "]}")
            .json().get("id").asText();
    assertThat(post(flooder, group, "warm").status()).isEqualTo(201);
    // 51 left: of 20 sends at once, each taking 49 before it is asked, one can pass.
    assertThat(storedOfSendsAtOnce(flooder, group, 20)).isEqualTo(1);
  }

  @Test
  void aGroupGrownThroughAnotherNodeIsPaidForInFull() throws Exception {
    String grower = TestTokens.user("fo-grower");
    String group =
        live.api().post("/api/conversations", grower, "{\"type\":\"group\",\"title\":\"Small\",\"participantIds\":[\"fo-g0\"]}")
            .json().get("id").asText();
    // Another node's service adds 48 members: this node still thinks a message here goes to 1.
    ActorSystem<Void> system = live.node().node().system();
    List<String> added = IntStream.range(1, 49).mapToObj(i -> "fo-g" + i).toList();
    new Conversations(system, new ConversationReadModel(system))
        .addParticipants("fo-grower", group, added)
        .toCompletableFuture()
        .join();
    // Ten at once, each paying for 1: the conversation refuses every one as underpaid, and of the 48 more each must
    // then pay, a burst of 100 covers one or two. Paid for 1 alone, all ten would be stored.
    long stored = storedOfSendsAtOnce(grower, group, 10);
    assertThat(stored).isBetween(1L, 2L);
    assertThat(live.api().get("/api/conversations/" + group + "/messages", grower).json().get("lastSeq").asLong())
        .isEqualTo(stored);
  }

  /**
   * What a sender paid for a group is remembered, but may have grown stale (they left, or it shrank): when it no
   * longer fits their budget they pay as any stranger pays, and get what a made-up id gets, not 429.
   */
  @Test
  void aRememberedSizeThatNoLongerFitsIsPaidAsAStrangerPays() {
    UserBudgets budgets = new UserBudgets(0.01, 600);
    FanOutBudget fanOut = new FanOutBudget(budgets);
    budgets.take("fo-leaver", 499, "test");
    fanOut.stored("fo-leaver", "g_left-since", 499, 499);
    assertThat(fanOut.payFirst("fo-leaver", "g_left-since")).isEqualTo(1);
    assertThat(fanOut.payFirst("fo-leaver", "g_made-up")).isEqualTo(1);
    // While it fits, it is paid in full first, so that sends in parallel cannot pass on what one would.
    FanOutBudget roomy = new FanOutBudget(new UserBudgets(0.01, 2_000));
    roomy.stored("fo-member", "g_big", 499, 499);
    assertThat(roomy.payFirst("fo-member", "g_big")).isEqualTo(499);
  }

  /** With no budget there is nothing to pay, and the conversation need not check (no second ask). */
  @Test
  void noBudgetPaysNothing() {
    assertThat(new FanOutBudget(new UserBudgets(0, 1)).payFirst("fo-free", "g_any")).isZero();
  }

  /** Posts {@code count} messages at once as {@code token}'s user; how many were stored (201). */
  private static long storedOfSendsAtOnce(String token, String conversation, int count) throws Exception {
    List<CompletableFuture<Response>> sends = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String clientMsgId = "at-once-" + i;
      sends.add(CompletableFuture.supplyAsync(() -> post(token, conversation, clientMsgId)));
    }
    long stored = 0;
    for (CompletableFuture<Response> send : sends) if (send.get(30, TimeUnit.SECONDS).status() == 201) stored++;
    return stored;
  }

  @Test
  void aDirectConversationCostsOneAMessage() {
    String talker = TestTokens.user("fo-talker");
    String direct =
        live.api().post("/api/conversations", talker, "{\"type\":\"direct\",\"userId\":\"fo-listener\"}").json().get("id").asText();
    for (int i = 1; i <= 100; i++) assertThat(post(talker, direct, "t" + i).status()).as("message " + i).isEqualTo(201);
    assertThat(post(talker, direct, "t101").status()).isEqualTo(429);
  }
}
