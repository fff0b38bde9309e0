package io.parley.testkit;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a Supabase project's auth server on 127.0.0.1: it serves a JWKS document at
 * {@code /auth/v1/.well-known/jwks.json}, so a node configured with {@code supabase-url = }{@link #supabaseUrl()}
 * fetches its keys from here. It counts its requests, and can be made to change its document, to fail, or to hold
 * its answers.
 */
public final class TestJwksServer implements AutoCloseable {
  public static final String JWKS_PATH = "/auth/v1/.well-known/jwks.json";

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile String document;
  private volatile int status = 200;
  private volatile CountDownLatch gate = new CountDownLatch(0);

  public TestJwksServer(String document) {
    this.document = document;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        JWKS_PATH,
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

  /** The project URL, e.g. {@code http://127.0.0.1:41234}; tokens must be issued by it plus {@code /auth/v1}. */
  public String supabaseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The full URL of the JWKS document, for settings that name it directly. */
  public String jwksUrl() {
    return supabaseUrl() + JWKS_PATH;
  }

  public int requests() {
    return requests.get();
  }

  /** Serves {@code document} from the next request on. */
  public void serve(String document) {
    this.document = document;
  }

  /** Answers the next requests with {@code status} (and the current document as body). */
  public void answerWithStatus(int status) {
    this.status = status;
  }

  /** Holds every answer until the returned latch is counted down. */
  public CountDownLatch holdAnswers() {
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
