package io.parley.testkit;

import com.google.auth.Retryable;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import java.io.IOException;
import java.time.Duration;
import java.util.Date;

/** Google credentials that ask Google's token server nothing: a fresh token whenever the SDK wants one. */
public final class TestFcm {
  private TestFcm() {}

  /** Valid credentials; after a 401 the SDK refreshes them and tries again, as it would with a service account. */
  public static GoogleCredentials credentials() {
    return new GoogleCredentials(token(Duration.ofDays(1))) {
      @Override
      public AccessToken refreshAccessToken() {
        return token(Duration.ofDays(1));
      }
    };
  }

  /** A revoked service account key: its token has expired, and Google's token server refuses a new one. */
  public static GoogleCredentials refusedCredentials() {
    return new GoogleCredentials(token(Duration.ofDays(-1))) {
      @Override
      public AccessToken refreshAccessToken() throws IOException {
        throw new TokenRefused();
      }
    };
  }

  private static AccessToken token(Duration validFor) {
    return new AccessToken("test-access-token", new Date(System.currentTimeMillis() + validFor.toMillis()));
  }

  /** What google-auth-library throws for {@code invalid_grant}: an I/O error it marks as not worth retrying. */
  private static final class TokenRefused extends IOException implements Retryable {
    TokenRefused() {
      super("Error getting access token for service account: 400 Bad Request, invalid_grant: Invalid JWT Signature.");
    }

    @Override
    public boolean isRetryable() {
      return false;
    }

    @Override
    public int getRetryCount() {
      return 0;
    }
  }
}
