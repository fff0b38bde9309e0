package io.parley.metrics;

import static akka.http.javadsl.server.Directives.*;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.server.Route;

/** {@code GET /metrics}: this node's metrics in Prometheus' text exposition format, for the scraper inside the cluster. */
public final class MetricsRoutes {
  private final Metrics metrics;

  public MetricsRoutes(Metrics metrics) {
    this.metrics = metrics;
  }

  public Route route() {
    return path("metrics", () -> get(() -> complete(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, metrics.scrape()))));
  }
}
