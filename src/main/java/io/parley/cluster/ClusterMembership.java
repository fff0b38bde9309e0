package io.parley.cluster;

import akka.actor.Address;
import akka.actor.AddressFromURIString;
import akka.actor.typed.ActorSystem;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.cluster.typed.JoinSeedNodes;
import akka.management.cluster.bootstrap.ClusterBootstrap;
import akka.management.javadsl.AkkaManagement;
import com.typesafe.config.Config;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a node becomes a cluster member, from {@code parley.cluster}: alone ({@code join-self}), through seed nodes
 * (one machine, docker-compose), or through Cluster Bootstrap (Kubernetes); and Akka Management's HTTP endpoints
 * ({@code /ready}, {@code /alive}) when configured.
 */
public final class ClusterMembership {
  private static final Logger log = LoggerFactory.getLogger(ClusterMembership.class);

  /** The way a node joins, decided once from its configuration. */
  public enum Joining {
    SELF,
    SEED_NODES,
    BOOTSTRAP,
    /** Akka's own {@code akka.cluster.seed-nodes}, which Akka joins by itself. */
    AKKA_SEED_NODES
  }

  private ClusterMembership() {}

  /** Starts Akka Management when configured and sets off the join; membership itself completes asynchronously. */
  public static Joining join(ActorSystem<?> system) {
    Config config = system.settings().config();
    Joining joining = joining(config);
    Config cluster = config.getConfig("parley.cluster");
    if (cluster.getBoolean("management") || joining == Joining.BOOTSTRAP) {
      AkkaManagement.get(system.classicSystem())
          .start()
          .whenComplete(
              (uri, failure) -> {
                if (failure == null) log.info("Akka Management listening on {}", uri);
                else {
                  // Probes and Bootstrap cannot work without it: better an exit and a restart than a node that
                  // never turns ready.
                  log.error("Akka Management could not start; shutting down", failure);
                  system.terminate();
                }
              });
    }
    Cluster self = Cluster.get(system);
    switch (joining) {
      case SELF -> self.manager().tell(Join.create(self.selfMember().address()));
      case SEED_NODES -> self.manager().tell(new JoinSeedNodes(seedNodes(cluster.getString("seed-nodes"))));
      case BOOTSTRAP -> ClusterBootstrap.get(system.classicSystem()).start();
      case AKKA_SEED_NODES -> {}
    }
    log.info("Joining the cluster by {}", joining.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
    return joining;
  }

  /**
   * Exactly one way to join must be configured. Two would race and could form two clusters. None would leave the node
   * waiting for good, never ready: Akka Management's routes that could join it are read-only, so it is refused at
   * start with what to set.
   */
  public static Joining joining(Config config) {
    Config cluster = config.getConfig("parley.cluster");
    boolean self = cluster.getBoolean("join-self");
    boolean seeds = !seedNodes(cluster.getString("seed-nodes")).isEmpty();
    boolean bootstrap = cluster.getBoolean("bootstrap");
    boolean akkaSeeds = !config.getStringList("akka.cluster.seed-nodes").isEmpty();
    int ways = (self ? 1 : 0) + (seeds ? 1 : 0) + (bootstrap ? 1 : 0) + (akkaSeeds ? 1 : 0);
    if (ways > 1) {
      throw new IllegalStateException(
          "configure only one way to join the cluster: parley.cluster.join-self, parley.cluster.seed-nodes"
              + " (AKKA_SEED_NODES), parley.cluster.bootstrap (AKKA_CLUSTER_BOOTSTRAP) or akka.cluster.seed-nodes;"
              + " found " + ways);
    }
    if (self) return Joining.SELF;
    if (seeds) return Joining.SEED_NODES;
    if (bootstrap) return Joining.BOOTSTRAP;
    if (akkaSeeds) return Joining.AKKA_SEED_NODES;
    throw new IllegalStateException(
        "no way to join a cluster is configured: set AKKA_SEED_NODES (for a node of its own, its own address,"
            + " akka://parley@127.0.0.1:25520), or AKKA_CLUSTER_BOOTSTRAP=true in Kubernetes (conf/kubernetes.conf)");
  }

  /** {@code akka://parley@host:port} addresses, comma separated; blanks ignored. */
  public static List<Address> seedNodes(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .map(AddressFromURIString::parse)
        .toList();
  }
}
