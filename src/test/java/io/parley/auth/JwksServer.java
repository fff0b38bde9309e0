package io.parley.auth;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A local JWKS endpoint that counts its requests and can be made to fail or to hold its answers. */
final class JwksServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile String document;
  private volatile int status = 200;
  private volatile CountDownLatch gate = new CountDownLatch(0);

  JwksServer(String document) throws IOException {
    this.document = document;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/auth/v1/.well-known/jwks.json",
        exchange -> {
          requests.incrementAndGet();
          try {
            gate.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          byte[] body = this.document.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(status, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.setExecutor(executor);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/auth/v1/.well-known/jwks.json";
  }

  int requests() {
    return requests.get();
  }

  void serve(String document) {
    this.document = document;
  }

  void answerWithStatus(int status) {
    this.status = status;
  }

  /** Holds every answer until the returned latch is counted down. */
  CountDownLatch holdAnswers() {
    CountDownLatch held = new CountDownLatch(1);
    gate = held;
    return held;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
