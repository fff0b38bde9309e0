package io.parley;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Loads a node's configuration, highest precedence first: system properties, the given overrides, the deployment
 * file ({@code -Dconfig.file}), Parley's Akka settings ({@code parley-akka.conf}), then every reference.conf.
 */
public final class ParleyConfig {
  private ParleyConfig() {}

  public static Config load() {
    return load(ConfigFactory.empty());
  }

  public static Config load(Config overrides) {
    ConfigFactory.invalidateCaches();
    return ConfigFactory.defaultOverrides()
        .withFallback(overrides)
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.parseResources("parley-akka.conf"))
        .withFallback(ConfigFactory.defaultReferenceUnresolved())
        .resolve();
  }
}
