package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.user.User;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Device limits that could not work are refused when the node starts, not at the first registration. */
class DeviceLimitsConfigTest {
  @Test
  void noRoomForAnyDeviceIsRefusedNamingTheKey() {
    Config none = ParleyConfig.load(ConfigFactory.parseMap(Map.of("parley.notifications.max-devices-per-user", 0)));

    assertThatThrownBy(() -> User.Settings.fromConfig(none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("parley.notifications.max-devices-per-user")
        .hasMessageContaining("at least 1");
    assertThat(User.Settings.fromConfig(ParleyConfig.load(
            ConfigFactory.parseMap(Map.of("parley.notifications.max-devices-per-user", 1)))).maxDevices())
        .isEqualTo(1);
  }

  @Test
  void aTokenLengthTheDirectoryCannotIndexIsRefusedNamingTheKey() {
    Config tooLong = ParleyConfig.load(ConfigFactory.parseMap(Map.of("parley.notifications.max-token-length", 1025)));

    assertThatThrownBy(() -> Notifications.maxTokenLength(tooLong))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("parley.notifications.max-token-length")
        .hasMessageContaining("1-1024");
    assertThat(Notifications.maxTokenLength(
            ParleyConfig.load(ConfigFactory.parseMap(Map.of("parley.notifications.max-token-length", 1024)))))
        .isEqualTo(1024);
    assertThat(Notifications.maxTokenLength(ParleyConfig.load())).isEqualTo(512);
  }
}
