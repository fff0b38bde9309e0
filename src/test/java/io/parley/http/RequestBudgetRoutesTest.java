package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testkit.HttpApi;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Users' REST budgets on a real node over a real socket: a user over it is refused, nobody else is. */
class RequestBudgetRoutesTest {
  private static final String ADMIN_TOKEN = "admin-token-for-tests-0123456789";
  private static final int BURST = 4;
  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          "parley.http.rate-limit { requests-per-second = 0.01, burst = " + BURST + " }\n"
              + "parley.auth.admin-token = \"" + ADMIN_TOKEN + "\"");

  private final HttpApi api = live.api();

  @Test
  void aUserOverBudgetGets429WithRetryAfterAndNothingIsDone() {
    String ana = TestTokens.user("budget-ana");
    Response created = api.post("/api/conversations", ana, "{\"type\":\"direct\",\"userId\":\"budget-bo\"}");
    assertThat(created.status()).as(created.body()).isEqualTo(200);
    String conversation = created.json().get("id").asText();
    for (int i = 1; i < BURST; i++) assertThat(api.get("/api/conversations", ana).status()).isEqualTo(200);

    Response refused =
        api.post(
            "/api/conversations/" + conversation + "/messages",
            ana,
            "{\"clientMsgId\":\"over-budget\",\"content\":\"never stored\"}");

    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.code()).isEqualTo("rate_limited");
    long retryAfter = Long.parseLong(refused.raw().headers().firstValue("Retry-After").orElseThrow());
    assertThat(retryAfter).isBetween(1L, 100L);

    String bo = TestTokens.user("budget-bo");
    Response history = api.get("/api/conversations/" + conversation + "/messages", bo);
    assertThat(history.status()).as(history.body()).isEqualTo(200);
    assertThat(history.json().get("messages")).as("the refused message was not stored").isEmpty();
  }

  @Test
  void badTokensAndTheBackendSpendNoUsersBudget() {
    String cy = TestTokens.user("budget-cy");
    for (int i = 0; i < 3 * BURST; i++) {
      assertThat(api.get("/api/conversations", "not-a-token").status()).isEqualTo(401);
      Response admin =
          api.post(
              "/api/admin/notifications",
              ADMIN_TOKEN,
              "{\"userIds\":[\"budget-cy\"],\"notification\":{\"kind\":\"system\",\"title\":\"t" + i + "\",\"body\":\"b\"}}");
      assertThat(admin.status()).as(admin.body()).isEqualTo(202);
    }
    for (int i = 0; i < BURST; i++) {
      assertThat(api.get("/api/notifications", cy).status()).as("request " + i).isEqualTo(200);
    }
    assertThat(api.get("/api/notifications", cy).status()).isEqualTo(429);
  }
}
