package io.parley.push;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.api.client.http.HttpResponseException;
import com.google.api.client.http.HttpTransport;
import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.auth.Retryable;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.firebase.ErrorCode;
import com.google.firebase.FirebaseException;
import com.google.firebase.FirebaseApp;
import com.google.firebase.FirebaseOptions;
import com.google.firebase.ThreadManager;
import com.google.firebase.messaging.AndroidConfig;
import com.google.firebase.messaging.AndroidNotification;
import com.google.firebase.messaging.ApnsConfig;
import com.google.firebase.messaging.Aps;
import com.google.firebase.messaging.BatchResponse;
import com.google.firebase.messaging.FirebaseMessaging;
import com.google.firebase.messaging.FirebaseMessagingException;
import com.google.firebase.messaging.Message;
import com.google.firebase.messaging.MessagingErrorCode;
import com.google.firebase.messaging.MulticastMessage;
import com.google.firebase.messaging.Notification;
import com.google.firebase.messaging.SendResponse;
import com.google.firebase.messaging.WebpushConfig;
import com.google.firebase.messaging.WebpushFcmOptions;
import com.google.firebase.messaging.WebpushNotification;
import io.parley.Futures;
import io.parley.Sha256;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import io.parley.user.User;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pushes through Firebase Cloud Messaging with the real Admin SDK: {@code sendEachForMulticast}, at most 500 tokens a
 * call ({@code sendMulticast} used FCM's batch endpoint, which Google shut down). Each push carries the settings that
 * make Android, iOS and browsers group it and open the right screen.
 */
public final class FcmPushGateway implements PushGateway, AutoCloseable {
  private static final String NOT_A_TOKEN = "not a valid fcm registration token";
  /** apns-collapse-id's limit in bytes; Android's collapse_key is held to the same. */
  private static final int MAX_COLLAPSE_ID = 64;
  private static final int MAX_WEB_TOPIC = 32;
  /** FCM's limit on a message's payload. */
  public static final int MAX_PAYLOAD_BYTES = 4096;

  private final FirebaseApp app;
  private final FirebaseMessaging messaging;
  private final String projectId;

  /** {@code transport} null uses the SDK's own; tests and benchmarks give a mock one, since Google is not here. */
  public FcmPushGateway(GoogleCredentials credentials, String projectId, HttpTransport transport) {
    this(credentials, projectId, transport, 0);
  }

  /**
   * {@code threads}: how many FCM requests are under way at once. The SDK sends each token of a multicast as a
   * request of its own, blocking a thread for a round trip, so the rate is at most threads / round-trip time; 0 keeps
   * the SDK's own pool (100 threads, shared by every app of the process).
   */
  public FcmPushGateway(GoogleCredentials credentials, String projectId, HttpTransport transport, int threads) {
    FirebaseOptions.Builder options = FirebaseOptions.builder().setCredentials(credentials).setProjectId(projectId);
    if (transport != null) options.setHttpTransport(transport);
    if (threads > 0) options.setThreadManager(new FixedThreads(threads));
    // Several nodes may share a JVM (tests): each gets an app of its own.
    this.app = FirebaseApp.initializeApp(options.build(), "parley-" + UUID.randomUUID());
    this.messaging = FirebaseMessaging.getInstance(app);
    this.projectId = projectId;
  }

  public String projectId() {
    return projectId;
  }

  @Override
  public CompletionStage<List<PushResult>> sendToDevices(PushMessage message, List<String> tokens) {
    List<CompletableFuture<List<PushResult>>> calls = new ArrayList<>();
    for (int from = 0; from < tokens.size(); from += MAX_TOKENS_PER_MULTICAST) {
      List<String> chunk = tokens.subList(from, Math.min(tokens.size(), from + MAX_TOKENS_PER_MULTICAST));
      CompletableFuture<BatchResponse> sent;
      try {
        sent = completable(messaging.sendEachForMulticastAsync(multicast(message, chunk)));
      } catch (IllegalArgumentException refused) {
        // The SDK validates a message as it is built: one it refuses would be refused again on every retry, and
        // must not stall the push projection behind it.
        calls.add(CompletableFuture.completedFuture(
            java.util.Collections.nCopies(chunk.size(), PushResult.of(PushOutcome.INVALID_ARGUMENT))));
        continue;
      }
      calls.add(
          sent.handle(
              (batch, failure) ->
                  failure == null ? results(batch) : java.util.Collections.nCopies(chunk.size(), resultOf(failure))));
    }
    return Futures.all(calls)
        .thenApply(
            perChunk -> {
              List<PushResult> all = new ArrayList<>(tokens.size());
              perChunk.forEach(all::addAll);
              return all;
            });
  }

  @Override
  public CompletionStage<PushResult> sendToTopic(PushMessage message, String topic) {
    Message built;
    try {
      Message.Builder builder = Message.builder().setTopic(topic);
      decorate(message, builder::setNotification, builder::putAllData, builder::setAndroidConfig, builder::setApnsConfig,
          builder::setWebpushConfig);
      built = builder.build();
    } catch (IllegalArgumentException refused) {
      return CompletableFuture.completedFuture(PushResult.of(PushOutcome.INVALID_ARGUMENT));
    }
    return completable(messaging.sendAsync(built))
        .handle((id, failure) -> failure == null ? PushResult.of(PushOutcome.SENT) : resultOf(failure));
  }

  @Override
  public String status() {
    return "configured";
  }

  @Override
  public void close() {
    app.delete();
  }

  private static MulticastMessage multicast(PushMessage message, List<String> tokens) {
    MulticastMessage.Builder builder = MulticastMessage.builder().addAllTokens(tokens);
    decorate(message, builder::setNotification, builder::putAllData, builder::setAndroidConfig, builder::setApnsConfig,
        builder::setWebpushConfig);
    return builder.build();
  }

  /** The same settings for a multicast and a topic message, whose builders share no interface. */
  private static void decorate(
      PushMessage message,
      java.util.function.Consumer<Notification> notification,
      java.util.function.Consumer<java.util.Map<String, String>> data,
      java.util.function.Consumer<AndroidConfig> android,
      java.util.function.Consumer<ApnsConfig> apns,
      java.util.function.Consumer<WebpushConfig> webpush) {
    notification.accept(Notification.builder().setTitle(message.title()).setBody(message.body()).build());
    data.accept(message.data());
    String clickAction = "OPEN_" + message.kind().toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');

    AndroidNotification.Builder androidNotification = AndroidNotification.builder().setClickAction(clickAction);
    AndroidConfig.Builder androidConfig = AndroidConfig.builder().setPriority(AndroidConfig.Priority.HIGH);
    Aps.Builder aps = Aps.builder().setCategory(clickAction).setSound("default").setMutableContent(true);
    ApnsConfig.Builder apnsConfig = ApnsConfig.builder();
    WebpushNotification.Builder webNotification =
        WebpushNotification.builder().setTitle(message.title()).setBody(message.body());
    WebpushConfig.Builder webConfig = WebpushConfig.builder();
    if (message.collapseKey() != null) {
      // Each platform's own way of replacing the previous banner of the same conversation with the newest one.
      androidConfig.setCollapseKey(shortKey(message.collapseKey(), MAX_COLLAPSE_ID));
      androidNotification.setTag(message.collapseKey());
      aps.setThreadId(message.collapseKey());
      apnsConfig.putHeader("apns-collapse-id", shortKey(message.collapseKey(), MAX_COLLAPSE_ID));
      webNotification.setTag(message.collapseKey());
      webConfig.putHeader("Topic", shortKey(message.collapseKey(), MAX_WEB_TOPIC));
    }
    if (message.link() != null) webConfig.setFcmOptions(WebpushFcmOptions.withLink(message.link()));
    android.accept(androidConfig.setNotification(androidNotification.build()).build());
    apns.accept(apnsConfig.setAps(aps.build()).build());
    webpush.accept(webConfig.setNotification(webNotification.build()).build());
  }

  /**
   * Refuses a notification whose push FCM would refuse for its size: stored, it would reach the inbox and never a
   * phone, and its push would fail on every retry.
   */
  public static void requirePushable(User.Draft draft) {
    PushMessage push = PushMessage.of(draft);
    int bytes = payloadBytes(push);
    if (bytes > MAX_PAYLOAD_BYTES) {
      throw new ApiException(
          ApiError.TOO_LARGE,
          "its push would be " + bytes + " bytes, over FCM's limit of " + MAX_PAYLOAD_BYTES
              + "; the largest field is 'notification." + largestField(push) + "'");
    }
  }

  /**
   * What FCM counts against {@link #MAX_PAYLOAD_BYTES}: the notification's title and body and the data, as the JSON
   * the device receives, in UTF-8 bytes. A larger push is refused whatever the token, on every retry.
   */
  public static int payloadBytes(PushMessage message) {
    ObjectNode payload = Json.MAPPER.createObjectNode();
    payload.putObject("notification").put("title", message.title()).put("body", message.body());
    ObjectNode data = payload.putObject("data");
    message.data().forEach(data::put);
    return jsonBytes(payload);
  }

  /** The notification's field that takes most of the payload: {@code title}, {@code body} or {@code data.<key>}. */
  public static String largestField(PushMessage message) {
    String largest = "title";
    int most = jsonBytes(TextNode.valueOf(message.title()));
    if (jsonBytes(TextNode.valueOf(message.body())) > most) {
      largest = "body";
      most = jsonBytes(TextNode.valueOf(message.body()));
    }
    for (Map.Entry<String, String> field : message.data().entrySet()) {
      int bytes = jsonBytes(TextNode.valueOf(field.getKey())) + jsonBytes(TextNode.valueOf(field.getValue()));
      if (bytes > most) {
        largest = "data." + field.getKey();
        most = bytes;
      }
    }
    return largest;
  }

  private static int jsonBytes(JsonNode node) {
    try {
      return Json.MAPPER.writeValueAsBytes(node).length;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings always serializes", e);
    }
  }

  /**
   * FCM's and APNs' collapse ids travel as headers: ASCII, and bounded (apns-collapse-id at most 64 bytes, a Web Push
   * Topic at most 32 characters of the URL-safe base64 alphabet). A key that already is that is used as it is; any
   * other is hashed to hex, which is both, the same key always to the same value.
   */
  static String shortKey(String key, int max) {
    if (key.length() <= max && key.chars().allMatch(FcmPushGateway::urlSafeAscii)) return key;
    return Sha256.hex(key).substring(0, Math.min(max, 64));
  }

  private static boolean urlSafeAscii(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  }

  private static List<PushResult> results(BatchResponse batch) {
    List<PushResult> results = new ArrayList<>(batch.getResponses().size());
    for (SendResponse response : batch.getResponses()) {
      results.add(response.isSuccessful() ? PushResult.of(PushOutcome.SENT) : resultOf(response.getException()));
    }
    return results;
  }

  static PushResult resultOf(Throwable failure) {
    PushOutcome outcome = outcomeOf(failure);
    Duration wait = retryAfter(Futures.cause(failure));
    return wait == null ? PushResult.of(outcome) : new PushResult(outcome, wait);
  }

  /**
   * The {@code Retry-After} of the answer FCM failed the request with: seconds, or an HTTP date. The SDK honours it
   * only for the 503s it retries itself; a 429 (a project's, device's or topic's rate limit) reaches Parley with it.
   */
  static Duration retryAfter(Throwable failure) {
    if (!(failure instanceof FirebaseException fcm) || fcm.getHttpResponse() == null) return null;
    for (Map.Entry<String, Object> header : fcm.getHttpResponse().getHeaders().entrySet()) {
      if (!"retry-after".equalsIgnoreCase(header.getKey())) continue;
      Object value = header.getValue() instanceof List<?> values && !values.isEmpty() ? values.get(0) : header.getValue();
      return value == null ? null : parseRetryAfter(value.toString().trim());
    }
    return null;
  }

  private static Duration parseRetryAfter(String value) {
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(value)));
    } catch (NumberFormatException notSeconds) {
      try {
        Duration until = Duration.between(Instant.now(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME));
        return until.isNegative() ? Duration.ZERO : until;
      } catch (DateTimeParseException neither) {
        return null;
      }
    }
  }

  static PushOutcome outcomeOf(Throwable failure) {
    Throwable cause = Futures.cause(failure);
    PushOutcome transport = transportFailure(cause);
    if (transport != null) return transport;
    if (!(cause instanceof FirebaseMessagingException fcm)) return PushOutcome.UNKNOWN;
    MessagingErrorCode code = fcm.getMessagingErrorCode();
    if (code != null) {
      switch (code) {
        case UNREGISTERED:
          return PushOutcome.UNREGISTERED;
        case INVALID_ARGUMENT:
          return invalidArgument(fcm);
        case UNAVAILABLE:
          return PushOutcome.UNAVAILABLE;
        case INTERNAL:
          return PushOutcome.INTERNAL;
        case QUOTA_EXCEEDED:
          return PushOutcome.QUOTA_EXCEEDED;
        case SENDER_ID_MISMATCH:
          return PushOutcome.SENDER_ID_MISMATCH;
        case THIRD_PARTY_AUTH_ERROR:
          return PushOutcome.THIRD_PARTY_AUTH_ERROR;
        default:
          return PushOutcome.UNKNOWN;
      }
    }
    ErrorCode platform = fcm.getErrorCode();
    if (platform == null) return PushOutcome.UNKNOWN;
    switch (platform) {
      case INVALID_ARGUMENT:
        return invalidArgument(fcm);
      case UNAVAILABLE:
        return PushOutcome.UNAVAILABLE;
      case INTERNAL:
        return PushOutcome.INTERNAL;
      case RESOURCE_EXHAUSTED:
        return PushOutcome.QUOTA_EXCEEDED;
      case UNAUTHENTICATED:
        return PushOutcome.UNAUTHENTICATED;
      case PERMISSION_DENIED:
        return PushOutcome.PERMISSION_DENIED;
      case DEADLINE_EXCEEDED:
        return PushOutcome.NETWORK;
      default:
        return PushOutcome.UNKNOWN;
    }
  }

  /**
   * A request that got no HTTP answer: the SDK wraps the I/O error it met. Google's token server refusing the
   * service account (a revoked key) also surfaces here, as an auth error it marks not retryable.
   */
  private static PushOutcome transportFailure(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof HttpResponseException) return null;
      if (cause instanceof IOException && cause instanceof Retryable auth) {
        return auth.isRetryable() ? PushOutcome.NETWORK : PushOutcome.UNAUTHENTICATED;
      }
      if (cause instanceof IOException) return PushOutcome.NETWORK;
    }
    return null;
  }

  /** INVALID_ARGUMENT is also what a malformed message gets; only the token's own complaint removes the token. */
  private static PushOutcome invalidArgument(FirebaseMessagingException fcm) {
    String message = String.valueOf(fcm.getMessage()).toLowerCase(Locale.ROOT);
    return message.contains(NOT_A_TOKEN) ? PushOutcome.INVALID_TOKEN : PushOutcome.INVALID_ARGUMENT;
  }

  /** A pool of this app's own, stopped with it. */
  private static final class FixedThreads extends ThreadManager {
    private final int threads;
    private final ThreadFactory factory;

    FixedThreads(int threads) {
      this.threads = threads;
      AtomicInteger count = new AtomicInteger();
      this.factory =
          runnable -> {
            Thread thread = new Thread(runnable, "parley-fcm-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
          };
    }

    @Override
    protected ExecutorService getExecutor(FirebaseApp app) {
      return Executors.newFixedThreadPool(threads, factory);
    }

    @Override
    protected void releaseExecutor(FirebaseApp app, ExecutorService executor) {
      executor.shutdownNow();
    }

    @Override
    protected ThreadFactory getThreadFactory() {
      return factory;
    }
  }

  private static <T> CompletableFuture<T> completable(ApiFuture<T> future) {
    CompletableFuture<T> result = new CompletableFuture<>();
    ApiFutures.addCallback(
        future,
        new ApiFutureCallback<T>() {
          @Override
          public void onFailure(Throwable failure) {
            result.completeExceptionally(failure);
          }

          @Override
          public void onSuccess(T value) {
            result.complete(value);
          }
        },
        MoreExecutors.directExecutor());
    return result;
  }
}
