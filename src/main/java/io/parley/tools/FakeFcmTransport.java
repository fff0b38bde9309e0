package io.parley.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.api.client.http.LowLevelHttpRequest;
import com.google.api.client.http.LowLevelHttpResponse;
import com.google.api.client.testing.http.MockHttpTransport;
import com.google.api.client.testing.http.MockLowLevelHttpRequest;
import com.google.api.client.testing.http.MockLowLevelHttpResponse;
import io.parley.api.Json;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Google's FCM v1 endpoint, as the Admin SDK sees it through its HTTP transport: every request is recorded, and
 * answered as FCM answers (success, or an error body with FCM's error code). For tests and the push benchmark, where
 * Google's servers cannot be reached; the SDK above it is the real one.
 */
public final class FakeFcmTransport extends MockHttpTransport {
  /** One request that left the Admin SDK: its URL, headers and the {@code message} of its JSON body. */
  public record Request(String method, String url, Map<String, List<String>> headers, JsonNode message) {
    public String token() {
      return message.path("token").asText(null);
    }

    public String topic() {
      return message.path("topic").asText(null);
    }
  }

  /**
   * FCM's answer: an HTTP status, its extra headers and a JSON body, or, when {@code failure} is not null, no answer at
   * all: the request fails with that I/O error, as when the network between Parley and Google breaks.
   */
  public record Answer(int status, String body, Supplier<IOException> failure, Map<String, String> headers) {
    public Answer(int status, String body, Supplier<IOException> failure) {
      this(status, body, failure, Map.of());
    }

    public Answer(int status, String body) {
      this(status, body, null);
    }

    public Answer withHeader(String name, String value) {
      Map<String, String> more = new java.util.LinkedHashMap<>(headers);
      more.put(name, value);
      return new Answer(status, body, failure, Map.copyOf(more));
    }

    public static Answer sent() {
      return new Answer(200, "{\"name\":\"projects/parley-test/messages/0:1\"}");
    }

    /** An FCM error, with its {@code errorCode} detail when {@code fcmCode} is not null. */
    public static Answer error(int status, String grpcStatus, String fcmCode, String message) {
      String details =
          fcmCode == null
              ? ""
              : ",\"details\":[{\"@type\":\"type.googleapis.com/google.firebase.fcm.v1.FcmError\",\"errorCode\":\""
                  + fcmCode + "\"}]";
      return new Answer(
          status,
          "{\"error\":{\"code\":" + status + ",\"message\":\"" + message + "\",\"status\":\"" + grpcStatus + "\""
              + details + "}}");
    }

    public static Answer unregistered() {
      return error(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.");
    }

    public static Answer invalidToken() {
      return error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token");
    }

    /** A rate limit of the project, the device or the topic: 429, with how long to wait in {@code Retry-After}. */
    public static Answer quotaExceeded(java.time.Duration retryAfter) {
      return error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded.")
          .withHeader("Retry-After", String.valueOf(retryAfter.toSeconds()));
    }

    public static Answer unavailable() {
      return error(503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable.");
    }

    /** The credentials were refused (a revoked or wrong service account key). */
    public static Answer unauthenticated() {
      return error(401, "UNAUTHENTICATED", null, "Request had invalid authentication credentials.");
    }

    /** The service account may not send for this project. */
    public static Answer permissionDenied() {
      return error(403, "PERMISSION_DENIED", null, "Permission 'cloudmessaging.messages.create' denied on resource.");
    }

    /** The token belongs to another Firebase project than the one Parley sends as. */
    public static Answer senderIdMismatch() {
      return error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch");
    }

    /** The connection was reset while the request was under way. */
    public static Answer connectionReset() {
      return new Answer(0, null, () -> new SocketException("Connection reset"));
    }

    /** FCM did not answer within the read timeout. */
    public static Answer timedOut() {
      return new Answer(0, null, () -> new SocketTimeoutException("Read timed out"));
    }
  }

  private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();
  private final Map<String, AtomicInteger> attemptsByTarget = new ConcurrentHashMap<>();
  private final AtomicLong count = new AtomicLong();
  private final boolean keepRequests;
  private static final BiFunction<Request, Integer, Answer> SENT = (request, attempt) -> Answer.sent();
  /** Given a request and how many times its token (or topic) was asked before, the answer. */
  private volatile BiFunction<Request, Integer, Answer> answers = SENT;

  /** {@code keepRequests} false only counts them (and answers without reading them), for benchmarks that send millions. */
  public FakeFcmTransport(boolean keepRequests) {
    this.keepRequests = keepRequests;
  }

  public FakeFcmTransport() {
    this(true);
  }

  public void answer(BiFunction<Request, Integer, Answer> answers) {
    this.answers = answers;
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public long count() {
    return count.get();
  }

  @Override
  public LowLevelHttpRequest buildRequest(String method, String url) {
    return new MockLowLevelHttpRequest(url) {
      @Override
      public LowLevelHttpResponse execute() throws IOException {
        String content = getContentAsString();
        if (!keepRequests && answers == SENT) {
          // Reading the body back is Google's work, not the sending process's: benchmarks count and answer.
          count.incrementAndGet();
          return sent();
        }
        JsonNode body = Json.MAPPER.readTree(content);
        Request request = new Request(method, url, Map.copyOf(getHeaders()), body.path("message"));
        count.incrementAndGet();
        if (keepRequests) requests.add(request);
        String target = request.token() != null ? request.token() : String.valueOf(request.topic());
        int attempt = attemptsByTarget.computeIfAbsent(target, t -> new AtomicInteger()).getAndIncrement();
        Answer answer = answers.apply(request, attempt);
        if (answer.failure() != null) throw answer.failure().get();
        return response(answer);
      }
    };
  }

  private static LowLevelHttpResponse sent() {
    return response(Answer.sent());
  }

  private static LowLevelHttpResponse response(Answer answer) {
    MockLowLevelHttpResponse response =
        new MockLowLevelHttpResponse()
            .setStatusCode(answer.status())
            .setContentType("application/json; charset=UTF-8")
            .setContent(answer.body());
    answer.headers().forEach(response::addHeader);
    return response;
  }
}
