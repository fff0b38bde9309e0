package io.parley.testkit;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import java.time.Duration;
import java.util.Date;

/** Google credentials whose access token never needs refreshing, so the SDK asks Google's token server nothing. */
public final class TestFcm {
  private TestFcm() {}

  public static GoogleCredentials credentials() {
    return GoogleCredentials.create(
        new AccessToken("test-access-token", new Date(System.currentTimeMillis() + Duration.ofDays(1).toMillis())));
  }
}
