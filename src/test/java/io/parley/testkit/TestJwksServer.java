package io.parley.testkit;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a Supabase project's auth server on 127.0.0.1: it serves a JWKS document at
 * {@code /auth/v1/.well-known/jwks.json}, so a node configured with {@code supabase-url = }{@link #supabaseUrl()}
 * fetches its keys from here.
 */
public final class TestJwksServer implements AutoCloseable {
  public static final String JWKS_PATH = "/auth/v1/.well-known/jwks.json";

  private final HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();

  public TestJwksServer(String document) {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] body = document.getBytes(StandardCharsets.UTF_8);
    server.createContext(
        JWKS_PATH,
        exchange -> {
          requests.incrementAndGet();
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }

  /** The project URL, e.g. {@code http://127.0.0.1:41234}; tokens must be issued by it plus {@code /auth/v1}. */
  public String supabaseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public int requests() {
    return requests.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
