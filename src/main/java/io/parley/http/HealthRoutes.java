package io.parley.http;

import static akka.http.javadsl.server.Directives.*;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.parley.api.Json;
import io.parley.db.Database;
import io.parley.push.PushGateway;
import io.parley.push.PushStats;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * {@code GET /api/health}: 200 when this node is an Up cluster member and its database answers, 503 otherwise, with
 * the state of each part so that an operator sees which one is wrong.
 */
public final class HealthRoutes {
  /**
   * The route is anonymous, and a database check takes a connection from the read pool, on the dispatcher that
   * history queries use: however many ask, the database is checked at most once this often, and they share the answer.
   */
  private static final Duration DATABASE_CHECK_PERIOD = Duration.ofSeconds(1);

  private final ActorSystem<?> system;
  private final PushGateway push;
  private final SharedCheck databaseCheck;

  public HealthRoutes(ActorSystem<?> system, PushGateway push) {
    this.system = system;
    this.push = push;
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("parley.blocking-dispatcher"));
    this.databaseCheck = new SharedCheck(Database.get(system)::isReachable, blocking, DATABASE_CHECK_PERIOD);
  }

  public Route route() {
    return path(
        "health",
        () ->
            get(
                () ->
                    onSuccess(
                        databaseCheck.answer().thenApply(this::report),
                        report ->
                            complete(
                                "up".equals(report.get("status")) ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE,
                                report,
                                Json.marshaller()))));
  }

  private Map<String, Object> report(boolean databaseUp) {
    Database database = Database.get(system);
    Cluster cluster = Cluster.get(system);
    MemberStatus selfStatus = cluster.selfMember().status();
    boolean clusterUp = selfStatus == MemberStatus.up();

    Map<String, Object> clusterReport = new LinkedHashMap<>();
    clusterReport.put("self", cluster.selfMember().address().toString());
    clusterReport.put("status", selfStatus.toString().toLowerCase(Locale.ROOT));
    clusterReport.put("members", cluster.state().members().size());
    clusterReport.put("unreachable", cluster.state().getUnreachable().size());

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("status", databaseUp && clusterUp ? "up" : "down");
    report.put(
        "database",
        Map.of(
            "status", databaseUp ? "up" : "down",
            "dialect", database.settings().dialect().name().toLowerCase(Locale.ROOT)));
    report.put("cluster", clusterReport);
    report.put("push", Map.of("status", push.status(), "results", PushStats.get(system).byReason()));
    return report;
  }
}
