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
import io.parley.gateway.GatewayStats;
import io.parley.gateway.LocalSessions;
import io.parley.cluster.ClusterMembership;
import io.parley.http.PresenceRoutes;
import io.parley.http.RequestBodies;
import io.parley.user.Presences;
import io.parley.user.User;
import io.parley.gateway.GatewayRoutes;
import io.parley.gateway.GatewaySettings;
import io.parley.gateway.Session;
import akka.actor.typed.DispatcherSelector;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running Parley node: its actor system, cluster membership, sharded entities, projections and HTTP front end. */
public final class ParleyNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ParleyNode.class);

  private final ActorSystem<Void> system;
  private final ConversationReadModel readModel;
  private final Conversations conversations;
  private final CompletableFuture<ServerBinding> binding = new CompletableFuture<>();

  private ParleyNode(ActorSystem<Void> system, AuthSettings auth, TokenVerifier verifier) {
    this.system = system;
    Config config = system.settings().config();
    ClusterMembership.join(system);
    GatewayStats.get(system);
    LocalSessions.get(system);
    User.init(system);
    Conversation.init(system, User.fanout(system));
    if (config.getBoolean("parley.projection.enabled")) ConversationProjection.init(system);
    this.readModel = new ConversationReadModel(system);
    this.conversations = new Conversations(system, readModel);
    HttpServer.start(system, routes(auth, verifier))
        .whenComplete(
            (bound, failure) -> {
              if (failure != null) binding.completeExceptionally(failure);
              else binding.complete(bound);
            });
  }

  /** Starts a node from a loaded configuration; the database's own settings are derived and take precedence. */
  public static ParleyNode start(Config loaded) {
    DatabaseSettings database = DatabaseSettings.fromConfig(loaded);
    Config config = database.akkaOverrides().withFallback(loaded);
    AuthSettings auth = AuthSettings.fromConfig(config);
    TokenVerifier verifier = TokenVerifier.create(auth);
    Database.createSchemaIfConfigured(database);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "parley", config);
    log.info("Parley node starting on {} with {}", Cluster.get(system).selfMember().address(), database.describe());
    return new ParleyNode(system, auth, verifier);
  }

  private Route routes(AuthSettings auth, TokenVerifier verifier) {
    Config config = system.settings().config();
    Presences presences = new Presences(system, readModel);
    RequestBodies bodies = new RequestBodies(config.getBytes("parley.http.max-request-body"));
    Authentication authentication = new Authentication(verifier, config.getString("parley.auth.admin-token"));
    Route api =
        pathPrefix(
            "api",
            () ->
                concat(
                    new HealthRoutes(system).route(),
                    new ConversationRoutes(conversations, authentication, bodies).route(),
                    new PresenceRoutes(presences, authentication).route(),
                    new GatewayStatusRoutes(system, authentication).route()));
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
    Cors cors = new Cors(config.getString("parley.http.cors-origins"));
    Session.Context sessions =
        new Session.Context(
            verifier,
            conversations,
            ClusterSharding.get(system),
            presences,
            GatewaySettings.fromConfig(config),
            system.dispatchers().lookup(DispatcherSelector.fromConfig("parley.blocking-dispatcher")));
    Route all = concat(new GatewayRoutes(system, sessions, cors).route(), routes);
    return cors.route(() -> all);
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Conversations conversations() {
    return conversations;
  }

  public CompletionStage<ServerBinding> binding() {
    return binding;
  }

  /** The bound HTTP address, once listening. */
  public InetSocketAddress httpAddress() {
    try {
      return binding.get(30, TimeUnit.SECONDS).localAddress();
    } catch (Exception e) {
      throw new IllegalStateException("HTTP did not bind", e);
    }
  }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Actor system did not terminate", e);
    }
  }
}
