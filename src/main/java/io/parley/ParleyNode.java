package io.parley;

import static akka.http.javadsl.server.Directives.*;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.typed.Cluster;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import com.typesafe.config.Config;
import io.parley.auth.AuthSettings;
import io.parley.auth.DevTokens;
import io.parley.auth.TokenVerifier;
import io.parley.conversation.Conversation;
import io.parley.conversation.ConversationProjection;
import io.parley.conversation.ConversationReadModel;
import io.parley.conversation.Conversations;
import io.parley.db.Database;
import io.parley.db.DatabaseSettings;
import io.parley.http.Authentication;
import io.parley.http.ConversationRoutes;
import io.parley.http.Cors;
import io.parley.http.DevTokenRoutes;
import io.parley.http.HealthRoutes;
import io.parley.http.HttpServer;
import io.parley.http.GatewayStatusRoutes;
import io.parley.metrics.GatewayStats;
import io.parley.gateway.LocalSessions;
import io.parley.cluster.ClusterMembership;
import io.parley.http.PresenceRoutes;
import io.parley.http.RequestBodies;
import io.parley.user.Presences;
import io.parley.user.User;
import io.parley.gateway.GatewayRoutes;
import io.parley.gateway.GatewaySettings;
import io.parley.gateway.Session;
import io.parley.matching.CandidatePartition;
import io.parley.matching.MatchDelivery;
import io.parley.matching.JobMatchNotifications;
import io.parley.metrics.Metrics;
import io.parley.metrics.MetricsRoutes;
import io.parley.matching.MatchNotifier;
import io.parley.matching.MatchingSettings;
import io.parley.webhook.WebhookIntake;
import io.parley.webhook.WebhookProcessor;
import io.parley.webhook.WebhookRoutes;
import io.parley.webhook.WebhookSettings;
import akka.actor.typed.DispatcherSelector;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.actor.CoordinatedShutdown;
import io.parley.http.AdminNotificationRoutes;
import io.parley.http.DeviceRoutes;
import io.parley.http.NotificationRoutes;
import io.parley.notification.Announcements;
import io.parley.notification.BatchFanout;
import io.parley.notification.MessageInboxes;
import io.parley.notification.NotificationBatch;
import io.parley.notification.LiveBroadcasts;
import io.parley.notification.Notifications;
import io.parley.push.FcmPushGateway;
import io.parley.push.PushGateway;
import io.parley.push.PushGateways;
import io.parley.push.PushProjection;
import io.parley.push.PushSettings;
import io.parley.push.PushStats;
import io.parley.user.DeviceDirectory;
import io.parley.user.DeviceOwner;
import java.util.function.Function;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running Parley node: its actor system, cluster membership, sharded entities, projections and HTTP front end. */
public final class ParleyNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ParleyNode.class);

  private final ActorSystem<Void> system;
  private final ConversationReadModel readModel;
  private final Conversations conversations;
  private final Notifications notifications;
  private final PushGateway push;
  private final CompletableFuture<ServerBinding> binding = new CompletableFuture<>();
  private volatile Optional<ServerBinding> metricsBinding = Optional.empty();
  private final WebhookSettings webhooks;
  private final MatchingSettings matching;
  private final MatchDelivery matchDelivery;

  private ParleyNode(ActorSystem<Void> system, AuthSettings auth, TokenVerifier verifier, PushGateway push, Parts parts) {
    this.system = system;
    Config config = system.settings().config();
    ClusterMembership.join(system);
    GatewayStats.get(system);
    LocalSessions.get(system);
    User.init(system);
    DeviceOwner.init(system);
    Announcements.init(system);
    NotificationBatch.init(system);
    LiveBroadcasts.get(system);
    Conversation.init(system, User.fanout(system));
    if (config.getBoolean("parley.projection.enabled")) {
      ConversationProjection.init(system);
      DeviceDirectory.init(system);
    }
    this.push = push;
    if (PushSettings.fromConfig(config).projectionEnabled()) PushProjection.init(system, push);
    this.notifications = new Notifications(system, FcmPushGateway::requirePushable);
    if (config.getBoolean("parley.notifications.batch.fanout-enabled")) BatchFanout.init(system, notifications);
    MessageInboxes.init(system);
    this.webhooks = WebhookSettings.fromConfig(config, auth.devMode());
    this.matching = MatchingSettings.fromConfig(config);
    WebhookIntake.init(system, webhooks);
    CandidatePartition.init(system);
    this.matchDelivery =
        new MatchDelivery(
            system,
            Database.get(system).dataSource(),
            parts.matches().apply(notifications),
            matching,
            system.dispatchers().lookup(DispatcherSelector.fromConfig("parley.blocking-dispatcher")));
    if (webhooks.processingEnabled()) WebhookProcessor.init(system, webhooks, matching, matchDelivery);
    Metrics.get(system)
        .watchShards(
            system,
            List.of(
                User.ENTITY_KEY, DeviceOwner.ENTITY_KEY, Announcements.ENTITY_KEY, NotificationBatch.ENTITY_KEY,
                Conversation.ENTITY_KEY,
                WebhookIntake.ENTITY_KEY, CandidatePartition.ENTITY_KEY),
            config.getDuration("parley.metrics.shard-refresh"));
    Metrics.get(system)
        .countersByTag(
            "parley.push.results", "Pushes by outcome, one per token or topic", "reason",
            PushStats.get(system).countersByReason());
    this.readModel = new ConversationReadModel(system);
    this.conversations = new Conversations(system, readModel);
    Cors cors = new Cors(config.getString("parley.http.cors-origins"));
    CompletionStage<ServerBinding> http = HttpServer.start(system, routes(auth, verifier, cors), cors);
    // Metrics have a listener of their own, so that the clients' port never shows them: only the scraper should.
    CompletionStage<Optional<ServerBinding>> metricsListener =
        config.getBoolean("parley.metrics.enabled")
            ? HttpServer.bind(
                    system, config.getConfig("parley.metrics"),
                    HttpServer.withErrors(new MetricsRoutes(Metrics.get(system)).route()), "Metrics")
                .thenApply(Optional::of)
            : CompletableFuture.completedFuture(Optional.empty());
    http.thenCombine(metricsListener, (bound, metrics) -> {
          this.metricsBinding = metrics;
          return bound;
        })
        .whenComplete(
            (bound, failure) -> {
              if (failure != null) binding.completeExceptionally(failure);
              else binding.complete(bound);
            });
  }

  /** Starts a node from a loaded configuration; the database's own settings are derived and take precedence. */
  public static ParleyNode start(Config loaded) {
    return start(loaded, Parts.fromConfig());
  }

  /** The parts of a node that tests and benchmarks replace: where pushes leave, and where job matches go. */
  public record Parts(Function<Config, PushGateway> push, Function<Notifications, MatchNotifier> matches) {
    /** FCM (or the log) as the configuration says, and job matches into the candidates' inboxes. */
    public static Parts fromConfig() {
      return new Parts(PushGateways::fromConfig, JobMatchNotifications::into);
    }

    public Parts withPush(Function<Config, PushGateway> gateway) {
      return new Parts(gateway, matches);
    }

    public Parts withMatches(MatchNotifier notifier) {
      return new Parts(push, notifications -> notifier);
    }
  }

  /**
   * Starts a node and answers once HTTP is listening. If any part fails to start (HTTP cannot bind, say), the node
   * stops what it started (the actor system, the database pools, the push gateway) and the failure is thrown, so that
   * a process or a test that retries does not inherit a half-started node.
   */
  public static ParleyNode start(Config loaded, Parts parts) {
    if (!Futures.continuationsArePooled()) {
      log.warn("The JVM's common pool has fewer than 2 threads (set -D{}=2 or start through io.parley.Main): every "
          + "continuation of an Akka future in a library will start a thread of its own", "java.util.concurrent.ForkJoinPool.common.parallelism");
    }
    DatabaseSettings database = DatabaseSettings.fromConfig(loaded);
    Config config = database.akkaOverrides().withFallback(loaded);
    AuthSettings auth = AuthSettings.fromConfig(config);
    User.requireSettleAfterReregistration(config);
    TokenVerifier verifier = TokenVerifier.create(auth);
    // Checked before anything starts: a node with no way (or two ways) to join is refused, not left waiting.
    ClusterMembership.joining(config);
    Database.createSchemaIfConfigured(database);
    PushGateway push = parts.push().apply(config);
    ActorSystem<Void> system;
    try {
      system = ActorSystem.create(Behaviors.empty(), "parley", config);
    } catch (RuntimeException | Error failure) {
      closePush(push);
      throw failure;
    }
    try {
      // Every part started from here on is stopped by coordinated shutdown, the push gateway in its last phase.
      CoordinatedShutdown.get(system)
          .addTask(
              CoordinatedShutdown.PhaseActorSystemTerminate(),
              "close-push-gateway",
              () -> {
                closePush(push);
                return CompletableFuture.completedFuture(akka.Done.getInstance());
              });
      log.info("Parley node starting on {} with {}", Cluster.get(system).selfMember().address(), database.describe());
      ParleyNode node = new ParleyNode(system, auth, verifier, push, parts);
      node.awaitBinding();
      return node;
    } catch (RuntimeException | Error failure) {
      log.error("The Parley node failed to start; stopping what it started", failure);
      terminate(system);
      throw failure;
    }
  }

  private static void closePush(PushGateway push) {
    if (!(push instanceof AutoCloseable closeable)) return;
    try {
      closeable.close();
    } catch (Exception e) {
      log.warn("The push gateway did not close cleanly", e);
    }
  }

  private Route routes(AuthSettings auth, TokenVerifier verifier, Cors cors) {
    Config config = system.settings().config();
    Presences presences = new Presences(system, readModel);
    RequestBodies bodies = new RequestBodies(config.getBytes("parley.http.max-request-body"));
    Authentication authentication = new Authentication(
            verifier,
            auth.adminToken(),
            UserBudgets.fromConfig(config, "parley.http.rate-limit.requests-per-second", "parley.http.rate-limit.burst"));
    // Built once: a route built inside pathPrefix's supplier would construct every area's routes for each request.
    Route areas =
        concat(
            new HealthRoutes(system, push).route(),
            new ConversationRoutes(conversations, authentication, bodies).route(),
            new NotificationRoutes(notifications, authentication).route(),
            new DeviceRoutes(notifications, authentication, bodies).route(),
            new AdminNotificationRoutes(
                    notifications,
                    authentication,
                    bodies,
                    (int) config.getBytes("parley.notifications.max-data-bytes").longValue(),
                    config.getDuration("parley.notifications.admin-request-timeout"),
                    "infinite".equals(config.getString("akka.http.server.idle-timeout"))
                        ? null
                        : config.getDuration("akka.http.server.idle-timeout"))
                .route(),
            new PresenceRoutes(presences, authentication).route(),
            new GatewayStatusRoutes(system, authentication).route(),
            new WebhookRoutes(system, webhooks, matching, matchDelivery, authentication, bodies).route());
    Route api = pathPrefix("api", () -> areas);
    Route routes = api;
    if (auth.devMode()) {
      log.warn(
          "\n*****************************************************************************\n"
              + "*  DEV MODE: no SUPABASE_JWT_SECRET or SUPABASE_URL is set. This node signs  *\n"
              + "*  tokens with a random secret of its own and serves POST /dev/token.        *\n"
              + "*  Never run it like this in production.                                     *\n"
              + "*****************************************************************************");
      routes = concat(new DevTokenRoutes(new DevTokens(auth), bodies).route(), api);
    }
    Session.Context sessions =
        new Session.Context(
            verifier,
            conversations,
            ClusterSharding.get(system),
            presences,
            notifications,
            GatewaySettings.fromConfig(config),
            UserBudgets.fromConfig(
                config, "parley.gateway.rate-limit.connects-per-second", "parley.gateway.rate-limit.connect-burst"));
    return concat(new GatewayRoutes(system, sessions, cors::allows).route(), routes);
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Conversations conversations() {
    return conversations;
  }

  public Notifications notifications() {
    return notifications;
  }

  public CompletionStage<ServerBinding> binding() {
    return binding;
  }

  /** The bound HTTP address, once listening. */
  public InetSocketAddress httpAddress() {
    return awaitBinding().localAddress();
  }

  /** The bound address of the metrics listener, once listening; empty when metrics are off. */
  public Optional<InetSocketAddress> metricsAddress() {
    awaitBinding();
    return metricsBinding.map(ServerBinding::localAddress);
  }

  private ServerBinding awaitBinding() {
    try {
      return binding.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while HTTP was binding", e);
    } catch (ExecutionException | TimeoutException e) {
      Config http = system.settings().config().getConfig("parley.http");
      throw new IllegalStateException(
          "HTTP did not bind on " + http.getString("interface") + ":" + http.getInt("port"),
          e instanceof ExecutionException ? e.getCause() : e);
    }
  }

  @Override
  public void close() {
    if (!terminate(system)) throw new IllegalStateException("Actor system did not terminate within 30 s");
  }

  /** Terminates the system, which runs coordinated shutdown; true once it has terminated. */
  private static boolean terminate(ActorSystem<?> system) {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      log.warn("The actor system did not terminate within 30 s", e);
      return false;
    }
  }
}
