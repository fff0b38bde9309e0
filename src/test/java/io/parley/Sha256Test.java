package io.parley;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.conversation.ConversationIds;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Sha256Test {
  @Test
  void hexOfTextIsTheDigestOfItsUtf8Bytes() {
    assertThat(Sha256.hex("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(Sha256.hex("é")).isEqualTo(Sha256.hex("é".getBytes(StandardCharsets.UTF_8)));
    assertThat(Sha256.digest("abc")).hasSize(32);
  }

  @Test
  void directConversationIdsAreTheSameAsBeforeTheHelper() {
    // Ids already in journals must not change: the first 16 bytes of SHA-256("ana\nbo").
    assertThat(ConversationIds.direct("bo", "ana")).isEqualTo("d_d60ab925bd184b25ead2e40d94f9f2b9");
  }
}
