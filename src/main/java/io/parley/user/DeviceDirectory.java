package io.parley.user;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.jdbc.javadsl.JdbcHandler;
import akka.projection.jdbc.javadsl.JdbcProjection;
import io.parley.db.Database;
import io.parley.db.PlainJdbcSession;
import io.parley.db.Sql;
import io.parley.db.TaggedProjections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * Every user's device tokens on the read side ({@code parley_user_device}), so that a push to many users reads
 * their tokens in one query instead of starting each user's entity. Projected exactly once from the users' own
 * device events, which keep each user's list in order; it lags them by a projection's group. Whether a token still
 * belongs to its user is the push's owner check ({@link DeviceOwner}), as for every push.
 */
public final class DeviceDirectory extends JdbcHandler<List<EventEnvelope<User.Event>>, PlainJdbcSession> {
  /** Users per query: a bound on the statement's parameters. */
  private static final int QUERY_CHUNK = 1000;

  private final String userPrefix = User.ENTITY_KEY.name() + "|";

  /** The tag of a user's device events, in one of {@code slices}. */
  public static String tag(int slice) {
    return "devices-" + slice;
  }

  public static void init(ActorSystem<?> system) {
    int slices = system.settings().config().getInt("parley.push.tag-slices");
    var projection = system.settings().config().getConfig("parley.projection");
    DataSource dataSource = Database.get(system).dataSource();
    TaggedProjections.<User.Event>run(
        system,
        "device-directory",
        slices,
        DeviceDirectory::tag,
        (tag, events, sessions) ->
            JdbcProjection.groupedWithin(ProjectionId.of("devices", tag), events, sessions, DeviceDirectory::new, system)
                .withGroup(projection.getInt("group-size"), projection.getDuration("group-within")));
  }

  @Override
  public void process(PlainJdbcSession session, List<EventEnvelope<User.Event>> envelopes) throws Exception {
    session.withConnection(
        connection -> {
          try (Sql sql = new Sql(connection)) {
            for (EventEnvelope<User.Event> envelope : envelopes) {
              String userId = envelope.persistenceId().substring(userPrefix.length());
              if (envelope.event() instanceof User.DeviceRegistered registered) {
                // Deleted first: a replay of a registration after a crash finds the row there already.
                sql.update(
                    "DELETE FROM parley_user_device WHERE user_id = ? AND token = ?", userId, registered.device().token());
                sql.update(
                    "INSERT INTO parley_user_device (user_id, token) VALUES (?, ?)", userId, registered.device().token());
              } else if (envelope.event() instanceof User.DeviceRemoved removed) {
                sql.update("DELETE FROM parley_user_device WHERE user_id = ? AND token = ?", userId, removed.token());
              }
            }
          }
          return null;
        });
  }

  /** Reads the directory on the blocking dispatcher. */
  public static final class Reader {
    private final DataSource dataSource;
    private final Executor blocking;

    public Reader(ActorSystem<?> system) {
      this.dataSource = Database.get(system).dataSource();
      this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("parley.blocking-dispatcher"));
    }

    /** The tokens of each of {@code userIds} that has any, as the directory holds them now. */
    public CompletionStage<Map<String, List<String>>> tokensOf(List<String> userIds) {
      if (userIds.isEmpty()) return CompletableFuture.completedFuture(Map.of());
      return CompletableFuture.supplyAsync(
          () -> {
            try (Connection connection = dataSource.getConnection()) {
              Map<String, List<String>> tokens = new HashMap<>();
              for (int from = 0; from < userIds.size(); from += QUERY_CHUNK) {
                List<String> chunk = userIds.subList(from, Math.min(userIds.size(), from + QUERY_CHUNK));
                String in = String.join(", ", Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement statement =
                    connection.prepareStatement(
                        "SELECT user_id, token FROM parley_user_device WHERE user_id IN (" + in + ")")) {
                  Sql.bind(statement, chunk.toArray());
                  try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) tokens.computeIfAbsent(rs.getString(1), u -> new ArrayList<>()).add(rs.getString(2));
                  }
                }
              }
              connection.commit();
              return tokens;
            } catch (SQLException e) {
              throw new IllegalStateException("Device tokens could not be read", e);
            }
          },
          blocking);
    }
  }
}
