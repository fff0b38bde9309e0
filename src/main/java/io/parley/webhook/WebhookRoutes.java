package io.parley.webhook;

import static akka.http.javadsl.server.Directives.*;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.Futures;
import io.parley.Texts;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import io.parley.http.Authentication;
import io.parley.http.RequestBodies;
import io.parley.matching.MatchDelivery;
import io.parley.matching.MatchingSettings;
import io.parley.metrics.Metrics;
import io.parley.webhook.WebhookIntake.Kind;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook routes, on the paths the seeds' apps already use: jobs ({@code /webhooks/jobs/notify} and its alias
 * {@code /jobs/notify}), candidates ({@code /webhooks/matching/update}), any table ({@code /webhooks/supabase}), a
 * signature check ({@code /webhooks/test}) and the counters ({@code /jobs/notify/status}).
 */
public final class WebhookRoutes {
  private static final Logger log = LoggerFactory.getLogger(WebhookRoutes.class);
  /** Well under Artery's 256 KiB frame, with room for the rest of the message that carries the rows. */
  static final long MAX_ROWS_BYTES = 200 * 1024;

  private final WebhookSettings settings;
  private final MatchingSettings matching;
  private final WebhookAuth auth;
  private final MatchDelivery delivery;
  private final Authentication admin;
  private final ClusterSharding sharding;
  private final RequestBodies bodies;
  private final Duration askTimeout;
  private final Executor blocking;
  private final Metrics metrics;

  public WebhookRoutes(
      ActorSystem<?> system,
      WebhookSettings settings,
      MatchingSettings matching,
      MatchDelivery delivery,
      Authentication admin,
      RequestBodies bodies) {
    this.settings = settings;
    this.matching = matching;
    this.auth = new WebhookAuth(settings, Clock.systemUTC());
    this.delivery = delivery;
    this.admin = admin;
    this.sharding = ClusterSharding.get(system);
    this.bodies = bodies;
    this.askTimeout = system.settings().config().getDuration("parley.http.ask-timeout");
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("parley.blocking-dispatcher"));
    this.metrics = Metrics.get(system);
  }

  public Route route() {
    return concat(
        path(segment("webhooks").slash("jobs").slash("notify"), () -> post(() -> accept(Optional.of(Kind.JOB)))),
        path(segment("jobs").slash("notify").slash("status"), () -> get(this::statusRoute)),
        path(segment("jobs").slash("notify"), () -> post(() -> accept(Optional.of(Kind.JOB)))),
        path(
            segment("webhooks").slash("matching").slash("update"),
            () -> post(() -> accept(Optional.of(Kind.CANDIDATE)))),
        path(segment("webhooks").slash("supabase"), () -> post(() -> accept(Optional.empty()))),
        path(segment("webhooks").slash("test"), () -> post(this::test)));
  }

  private Route accept(Optional<Kind> expected) {
    return withBody(
        (request, body) -> {
          try {
            return accept(expected, request, body);
          } catch (ApiException refused) {
            metrics.webhook(refused.error().code());
            throw refused;
          }
        });
  }

  private Route accept(Optional<Kind> expected, HttpRequest request, byte[] body) {
          WebhookAuth.Method method = auth.verify(headers(request), body);
          SupabasePayload payload = SupabasePayload.parse(body);
          Kind kind = kindOf(payload.table(), expected);
          RecordMapping mapping = settings.mapping();
          String rowId =
              kind == Kind.JOB
                  ? mapping.jobId(payload.row(), payload.rowField())
                  : mapping.candidateId(payload.row(), payload.rowField());
          // The whole row is read now, so a bad column is the sender's 400 rather than a failure in processing.
          if (!payload.isDelete()) {
            if (kind == Kind.JOB) mapping.job(payload.record(), "record", matching.skills());
            else mapping.candidate(payload.record(), "record", matching.skills());
          }
          // Only a Standard Webhooks signature covers webhook-id. The shared secret and X-Webhook-Signature leave it
          // unsigned, so a replayed body under a fresh id must still be recognised by its content.
          Optional<String> webhookId =
              method == WebhookAuth.Method.STANDARD_WEBHOOKS
                  ? headers(request).apply("webhook-id").map(String::trim).filter(id -> !id.isEmpty())
                  : Optional.empty();
          if (webhookId.isPresent() && webhookId.get().length() > RecordMapping.MAX_ID_LENGTH) {
            throw new ApiException(ApiError.BAD_REQUEST, "webhook-id is longer than " + RecordMapping.MAX_ID_LENGTH);
          }
          String key =
              webhookId
                  .map(id -> "id:" + id)
                  .orElseGet(
                      () -> "row:" + payload.table() + ":" + rowId + ":" + payload.type() + ":" + payload.rowHash());
          // The rows travel to their intake partition in one message, which may be on another node: past Artery's
          // frame it would be dropped there, and every retry of the sender answered 503.
          String record = payload.recordJson();
          String oldRecord = payload.oldRecordJson();
          if (Texts.utf8Length(record) + Texts.utf8Length(oldRecord) > MAX_ROWS_BYTES) {
            throw new ApiException(
                ApiError.TOO_LARGE, "record and old_record take more than " + MAX_ROWS_BYTES + " bytes together");
          }
          WebhookIntake.Delivery delivery =
              new WebhookIntake.Delivery(
                  key,
                  webhookId.orElse(null),
                  kind,
                  payload.table(),
                  payload.schema(),
                  payload.type(),
                  rowId,
                  record,
                  oldRecord,
                  method.label);
          String partition =
              Integer.toString(WebhookIntake.partitionOf(kind, rowId, settings.partitions()));
          CompletionStage<WebhookIntake.Accepted> stored =
              timeoutsAre503(
                  sharding
                      .entityRefFor(WebhookIntake.ENTITY_KEY, partition)
                      .ask(replyTo -> new WebhookIntake.Accept(delivery, replyTo), askTimeout),
                  "the webhook was not stored in time; send it again");
          return onSuccess(
              stored.whenComplete(
                  (accepted, failure) ->
                      metrics.webhook(failure != null ? "timeout" : accepted.duplicate() ? "duplicate" : "accepted")),
              accepted ->
                  complete(
                      StatusCodes.ACCEPTED,
                      new WebhookWire.Accepted(
                          true, accepted.duplicate(), key, payload.table(), payload.type(), rowId, accepted.at()),
                      Json.marshaller()));
  }

  private Kind kindOf(String table, Optional<Kind> expected) {
    Kind kind =
        table.equals(settings.jobsTable())
            ? Kind.JOB
            : table.equals(settings.candidatesTable()) ? Kind.CANDIDATE : null;
    if (expected.isPresent() && kind != expected.get()) {
      String wanted = expected.get() == Kind.JOB ? settings.jobsTable() : settings.candidatesTable();
      throw new ApiException(
          ApiError.BAD_REQUEST, "field 'table': this route takes '" + wanted + "' events, not '" + table + "'");
    }
    if (kind == null) {
      throw new ApiException(
          ApiError.BAD_REQUEST,
          "field 'table': '" + table + "' is not processed here (only '" + settings.jobsTable() + "' and '"
              + settings.candidatesTable() + "')");
    }
    return kind;
  }

  private Route test() {
    return withBody(
        (request, body) -> {
          WebhookAuth.Method method = auth.verify(headers(request), body);
          JsonNode json;
          try {
            json = body.length == 0 ? null : Json.MAPPER.readTree(body);
          } catch (java.io.IOException notJson) {
            json = null;
          }
          return complete(
              StatusCodes.OK, new WebhookWire.TestEcho(true, method.label, body.length, json), Json.marshaller());
        });
  }

  /** The webhook secret opens it, like the webhooks themselves; so does an admin token. */
  private Route statusRoute() {
    return extractRequest(
        request -> {
          try {
            auth.verify(headers(request), new byte[0]);
            return onSuccess(counters(), status -> complete(StatusCodes.OK, status, Json.marshaller()));
          } catch (ApiException notWebhook) {
            return admin.admin(() -> onSuccess(counters(), status -> complete(StatusCodes.OK, status, Json.marshaller())));
          }
        });
  }

  private CompletionStage<WebhookWire.Status> counters() {
    List<CompletableFuture<WebhookIntake.Stats>> partitions = new ArrayList<>();
    for (int p = 0; p < settings.partitions(); p++) {
      partitions.add(
          timeoutsAre503(
                  sharding
                      .entityRefFor(WebhookIntake.ENTITY_KEY, Integer.toString(p))
                      .ask(WebhookIntake.GetStats::new, askTimeout),
                  "an intake partition did not answer in time; retry")
              .toCompletableFuture());
    }
    // A database that is down or out of connections is a passing fault of this node, not a bug: 503, and retry.
    CompletableFuture<MatchDelivery.Counters> counters =
        CompletableFuture.supplyAsync(delivery::counters, blocking)
            .exceptionally(
                failure -> {
                  log.warn("The matching counters could not be read: {}", failure.toString());
                  throw new ApiException(ApiError.UNAVAILABLE, "the database did not answer; retry shortly");
                });
    return Futures.all(partitions)
        .thenCombine(
            counters,
            (all, c) -> {
              long received = 0;
              long duplicates = 0;
              Instant last = null;
              for (WebhookIntake.Stats stats : all) {
                received += stats.received();
                duplicates += stats.duplicates();
                if (stats.lastEventAt() != null && (last == null || stats.lastEventAt().isAfter(last))) {
                  last = stats.lastEventAt();
                }
              }
              return new WebhookWire.Status(received, duplicates, c.matched(), c.notified(), c.failed(), c.stale(), last);
            });
  }

  private Route withBody(BiFunction<HttpRequest, byte[], Route> inner) {
    return extractRequest(request -> bodies.bytes(body -> inner.apply(request, body)));
  }

  private static Function<String, Optional<String>> headers(HttpRequest request) {
    return name -> request.getHeader(name).map(HttpHeader::value);
  }

  private static <T> CompletionStage<T> timeoutsAre503(CompletionStage<T> stage, String message) {
    return Futures.direct(stage).exceptionally(
        failure -> {
          Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
          if (failure instanceof TimeoutException || cause instanceof TimeoutException) {
            throw new ApiException(ApiError.TIMEOUT, message);
          }
          throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
        });
  }
}
