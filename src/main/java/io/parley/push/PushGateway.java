package io.parley.push;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** Where pushes leave the process: Firebase Cloud Messaging, or the log when no credentials are configured. */
public interface PushGateway {
  /** FCM's own limit on the tokens of one multicast. */
  int MAX_TOKENS_PER_MULTICAST = 500;

  /** One result per token, in the order given; any number of tokens (the gateway splits them). */
  CompletionStage<List<PushResult>> sendToDevices(PushMessage message, List<String> tokens);

  CompletionStage<PushResult> sendToTopic(PushMessage message, String topic);

  /** {@code configured} when pushes reach FCM, {@code disabled} when they only reach the log. */
  String status();
}
