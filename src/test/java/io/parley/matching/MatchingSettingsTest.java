package io.parley.matching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import org.junit.jupiter.api.Test;

/** Matching's configuration, refused at start when a value could only fail later, webhook by webhook. */
class MatchingSettingsTest {
  @Test
  void anAliasFoldingIntoASkillLongerThanTheStoreHoldsFailsAtStart() {
    assertThatThrownBy(() -> MatchingSettings.fromConfig(withAlias("k8s", "kubernetes".repeat(21))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("parley.matching.aliases")
        .hasMessageContaining("k8s");
    // Counted as stored: the dashes are no part of the key, which is 200 characters.
    assertThat(MatchingSettings.fromConfig(withAlias("k8s", "kubernetes-".repeat(20))).skills().normalize("K8s"))
        .hasSize(200);
  }

  private static Config withAlias(String alias, String canonical) {
    return ConfigFactory.parseString("parley.matching.aliases." + alias + " = \"" + canonical + "\"")
        .withFallback(ParleyConfig.load());
  }
}
