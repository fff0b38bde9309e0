package io.parley;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import io.parley.logging.LogSettings;
import java.nio.file.Path;
import java.util.Map;

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
        .withFallback(layered(overrides, ConfigFactory.defaultApplication(), System.getenv("LOG_LEVEL")))
        .resolve();
  }

  /**
   * The configuration a node started with {@code -Dconfig.file=deploymentFile} would load in a process whose
   * environment is exactly {@code environment}: what a container gets from its manifest.
   */
  public static Config loadFile(Path deploymentFile, Map<String, String> environment) {
    return layered(ConfigFactory.empty(), ConfigFactory.parseFile(deploymentFile.toFile()), environment.get("LOG_LEVEL"))
        .withFallback(ConfigFactory.parseMap(environment))
        .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
  }

  private static Config layered(Config overrides, Config deployment, String logLevel) {
    return overrides
        .withFallback(deployment)
        .withFallback(ConfigFactory.parseMap(Map.of("akka.loglevel", LogSettings.akkaLevel(logLevel))))
        .withFallback(ConfigFactory.parseResources("parley-akka.conf"))
        .withFallback(ConfigFactory.defaultReferenceUnresolved());
  }
}
