package io.parley.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.tools.FakeFcmTransport;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One node on its own H2 database for a whole test class: {@code @RegisterExtension static final LiveNode live =
 * new LiveNode("parley.x = y");}
 */
public final class LiveNode implements BeforeAllCallback, AfterAllCallback {
  private final Config overrides;
  private final FakeFcmTransport fcm;
  private TestDatabase database;
  private TestNode node;
  private HttpApi api;

  public LiveNode() {
    this("");
  }

  public LiveNode(String overrides) {
    this(overrides, null);
  }

  /** A node whose pushes reach {@code fcm} through the real firebase-admin SDK; null: the logging gateway. */
  public LiveNode(String overrides, FakeFcmTransport fcm) {
    this.overrides = ConfigFactory.parseString(overrides);
    this.fcm = fcm;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    database = TestDatabase.h2();
    node = fcm == null ? TestNode.start(database, overrides) : TestNode.start(database, overrides, fcm);
    api = new HttpApi(node::uri);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    // Null when beforeAll failed: its own failure is the one to report, not a NullPointerException here.
    if (node != null) node.close();
    if (database != null) database.close();
  }

  public TestNode node() {
    return node;
  }

  public HttpApi api() {
    return api;
  }

  /** The node's database, for a test that reads how far its projections have come ({@link ProjectionOffsets}). */
  public TestDatabase database() {
    return database;
  }
}
