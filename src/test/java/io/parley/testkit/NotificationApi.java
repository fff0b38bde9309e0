package io.parley.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

/** Devices and admin sends over real HTTP, as the platform's apps and backend make them. */
public final class NotificationApi {
  private final HttpApi api;

  public NotificationApi(HttpApi api) {
    this.api = api;
  }

  public void registerDevice(String userId, String token) {
    assertThat(
            api.post("/api/devices", TestTokens.user(userId), "{\"token\":\"" + token + "\",\"platform\":\"android\"}")
                .status())
        .isEqualTo(204);
  }

  /** The user's device tokens, oldest first. */
  public List<String> devices(String userId) {
    List<String> tokens = new ArrayList<>();
    api.get("/api/devices", TestTokens.user(userId)).json().get("devices").forEach(d -> tokens.add(d.get("token").asText()));
    return tokens;
  }

  /** Sends {@code notification} (its JSON) to one user with the service_role key, expecting 202. */
  public HttpApi.Response send(String userId, String notification) {
    return adminSend("{\"userIds\":[\"" + userId + "\"],\"notification\":" + notification + "}");
  }

  /** Posts an admin send ({@code body}: its whole JSON, to users or a topic) with the service_role key, expecting 202. */
  public HttpApi.Response adminSend(String body) {
    HttpApi.Response response = api.post("/api/admin/notifications", TestTokens.serviceRole(), body);
    assertThat(response.status()).as(response.body()).isEqualTo(202);
    return response;
  }
}
