package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Numbers in client frames, over a real socket: a field the server does not read is skipped whatever number it holds
 * (unknown fields are tolerated), and a hostile number in a field it reads gets an error frame naming the field.
 */
class FrameNumbersTest {
  @RegisterExtension static final LiveNode live = new LiveNode();

  /** Exponents no BigDecimal holds (past an int), and one it holds but that would be a billion digits written out. */
  private static final List<String> HOSTILE =
      List.of("1e9999999999", "-1E-9999999999", "0.1e-2147483648", "1e999999999", "9".repeat(100));

  private static String direct(String a, String b) {
    HttpApi.Response created =
        live.api().post("/api/conversations", TestTokens.user(a), "{\"type\":\"direct\",\"userId\":\"" + b + "\"}");
    assertThat(created.status()).as(created.body()).isIn(200, 201);
    return created.json().get("id").asText();
  }

  @Test
  void aNumberInAFieldTheServerDoesNotReadNeverRefusesTheFrame() {
    String id = direct("fn1", "fn2");
    try (WsClient client = WsClient.signedIn(live.node(), TestTokens.user("fn1"))) {
      for (String number : HOSTILE) {
        client.send("{\"type\":\"ping\",\"ref\":\"top\",\"x\":" + number + "}");
        JsonNode top = client.next();
        assertThat(top.path("type").asText() + " " + top.path("ref").asText()).as(number + ": " + top).isEqualTo("pong top");
        client.send("{\"type\":\"ping\",\"ref\":\"nested\",\"extra\":{\"list\":[1," + number + "],\"n\":" + number + "}}");
        JsonNode nested = client.next();
        assertThat(nested.path("type").asText() + " " + nested.path("ref").asText())
            .as(number + ": " + nested)
            .isEqualTo("pong nested");
      }

      // In a frame the server acts on, beside the fields it reads.
      client.send("{\"type\":\"send\",\"ref\":\"s\",\"conversationId\":\"" + id + "\",\"clientMsgId\":\"c1\","
          + "\"content\":\"hi\",\"priority\":1e9999999999}");
      JsonNode sent = client.until("sent");
      assertThat(sent.get("ref").asText()).isEqualTo("s");
      assertThat(sent.get("seq").asLong()).isEqualTo(1);
      client.send("{\"type\":\"read\",\"ref\":\"r\",\"conversationId\":\"" + id + "\",\"seq\":1,\"at\":-1E-9999999999}");
      JsonNode ok = client.until(f -> f.path("ref").asText().equals("r"), new java.util.ArrayList<>());
      assertThat(ok.get("type").asText()).as(ok.toString()).isEqualTo("ok");
    }
  }

  /** A frame of {@code type} with the given ref and the rest of its fields, as JSON text. */
  private record Hostile(String type, String ref, String fields, String field) {
    String frame() {
      return "{\"type\":\"" + type + "\",\"ref\":\"" + ref + "\"," + fields + "}";
    }
  }

  @Test
  void aHostileNumberInAFieldTheServerReadsGetsAnErrorNamingItAndTheSessionGoesOn() {
    String id = direct("fh1", "fh2");
    String conversation = "\"conversationId\":\"" + id + "\"";
    List<Hostile> refused =
        List.of(
            new Hostile("read", "r1", conversation + ",\"seq\":1e9999999999", "seq"),
            new Hostile("read", "r2", conversation + ",\"seq\":1e999999999", "seq"),
            new Hostile("delivered", "r3", conversation + ",\"seq\":-1E-9999999999", "seq"),
            new Hostile("join", "r4", conversation + ",\"since\":99999999999999999999", "since"),
            new Hostile("join", "r5", conversation + ",\"since\":1e999999999", "since"),
            new Hostile(
                "send", "r6", conversation + ",\"clientMsgId\":\"m6\",\"content\":\"x\",\"metadata\":{\"n\":1e9999999999}",
                "metadata"),
            new Hostile(
                "send", "r7",
                conversation + ",\"clientMsgId\":\"m7\",\"content\":\"x\",\"metadata\":{\"deep\":[{\"n\":0.1e-2147483648}]}",
                "metadata"));
    try (WsClient client = WsClient.signedIn(live.node(), TestTokens.user("fh1"))) {
      for (Hostile hostile : refused) {
        client.send(hostile.frame());
        JsonNode error = client.next("error");
        assertThat(error.path("code").asText()).as(hostile.frame() + ": " + error).isEqualTo("bad_request");
        assertThat(error.path("ref").asText()).as(hostile.frame() + ": " + error).isEqualTo(hostile.ref());
        assertThat(error.path("message").asText()).as(hostile.frame()).startsWith("field '" + hostile.field() + "'");
      }

      // Longer than the limit: refused as it is read, before any conversion; longer than a frame: not read at all.
      client.send("{\"type\":\"read\",\"ref\":\"long\"," + conversation + ",\"seq\":" + "9".repeat(60_000) + "}");
      JsonNode tooLong = client.next("error");
      assertThat(tooLong.get("code").asText()).isEqualTo("bad_request");
      assertThat(tooLong.get("message").asText()).contains("number longer than 100 characters");
      client.send("{\"type\":\"read\",\"ref\":\"huge\"," + conversation + ",\"seq\":" + "9".repeat(100_000) + "}");
      assertThat(client.next("error").get("code").asText()).isEqualTo("too_large");

      // Nothing was stored, and the session goes on.
      client.send("{\"type\":\"send\",\"ref\":\"ok\"," + conversation + ",\"clientMsgId\":\"m8\",\"content\":\"after\"}");
      assertThat(client.until("sent").get("seq").asLong()).isEqualTo(1);
    }
  }
}
