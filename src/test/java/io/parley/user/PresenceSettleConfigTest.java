package io.parley.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Presence must settle for longer than sessions take to register again after a crash. */
class PresenceSettleConfigTest {
  @Test
  void theShippedSettleOutlastsTheReregistrationAfterACrash() {
    Config defaults = ParleyConfig.load();

    User.Settings settings = User.Settings.fromConfig(defaults);

    assertThat(settings.presenceSettle())
        .isGreaterThan(defaults.getDuration("parley.cluster.reregister-after-member-removed"));
  }

  @Test
  void aSettleNoLongerThanTheReregistrationIsRefusedNamingBothKeys() {
    Config equal =
        ParleyConfig.load(
            ConfigFactory.parseMap(
                Map.of("parley.user.presence-settle", "3s", "parley.cluster.reregister-after-member-removed", "3s")));

    assertThatThrownBy(() -> User.Settings.fromConfig(equal))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("parley.user.presence-settle")
        .hasMessageContaining("parley.cluster.reregister-after-member-removed");
  }

  @Test
  void noSettleAtAllStaysAllowed() {
    Config off = ParleyConfig.load(ConfigFactory.parseMap(Map.of("parley.user.presence-settle", "0s")));

    assertThat(User.Settings.fromConfig(off).presenceSettle()).isEqualTo(Duration.ZERO);
  }
}
