package io.parley.push;

import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stands in for FCM when no Firebase credentials are configured: each push is a log line, never an error. */
public final class LoggingPushGateway implements PushGateway {
  private static final Logger log = LoggerFactory.getLogger(LoggingPushGateway.class);

  @Override
  public CompletionStage<List<PushResult>> sendToDevices(PushMessage message, List<String> tokens) {
    log.info("Push (not sent, no Firebase credentials) to {} device(s): {} - {}", tokens.size(), message.title(), message.body());
    return CompletableFuture.completedFuture(Collections.nCopies(tokens.size(), PushResult.of(PushOutcome.LOGGED)));
  }

  @Override
  public CompletionStage<PushResult> sendToTopic(PushMessage message, String topic) {
    log.info("Push (not sent, no Firebase credentials) to topic {}: {} - {}", topic, message.title(), message.body());
    return CompletableFuture.completedFuture(PushResult.of(PushOutcome.LOGGED));
  }

  @Override
  public String status() {
    return "disabled";
  }
}
