package io.parley.auth;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import java.util.HashMap;
import java.util.Map;

/** Auth settings as a deployment would load them, from the shipped defaults plus a test's own keys. */
final class TestAuth {
  static final String SECRET = "test-secret-with-at-least-thirty-two-characters";
  static final String SUPABASE_URL = "https://abcd.supabase.co";
  static final String ISSUER = SUPABASE_URL + "/auth/v1";

  private TestAuth() {}

  /** Keys of {@code parley.auth}; the environment is ignored so that a developer's SUPABASE_* cannot leak in. */
  static AuthSettings settings(Map<String, ?> keys) {
    Map<String, Object> prefixed = new HashMap<>();
    keys.forEach((key, value) -> prefixed.put("parley.auth." + key, value));
    var config =
        ConfigFactory.parseMap(prefixed)
            .withFallback(ConfigFactory.parseResources("reference.conf"))
            .resolve(ConfigResolveOptions.noSystem());
    return AuthSettings.fromConfig(config);
  }

  static AuthSettings secretOnly() {
    return settings(Map.of("jwt-secret", SECRET));
  }
}
