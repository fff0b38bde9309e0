package io.parley.tools;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A load generator's HTTP client that costs the machine as little as possible: keep-alive HTTP/1.1 POSTs written as
 * bytes on plain blocking sockets, one thread per connection in flight. The JDK's {@code HttpClient} took about 0.7
 * of a core at 650 webhooks/s, on a machine of 2 cores shared with the node under test and its database.
 */
final class PlainHttpPoster implements AutoCloseable {
  private final InetSocketAddress address;
  private final byte[] head;
  private final BlockingQueue<Connection> idle;
  private final ExecutorService threads;

  /** At most {@code connections} requests in flight, to {@code uri} with these extra header lines. */
  PlainHttpPoster(URI uri, String headers, int connections) {
    this.address = new InetSocketAddress(uri.getHost(), uri.getPort());
    String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    this.head = ("POST " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort() + "\r\n" + headers)
        .getBytes(StandardCharsets.US_ASCII);
    this.idle = new ArrayBlockingQueue<>(connections);
    this.threads = Executors.newFixedThreadPool(connections, runnable -> {
      Thread thread = new Thread(runnable, "plain-http");
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Posts the JSON body and completes with the response's status code. */
  CompletionStage<Integer> post(String json) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    return CompletableFuture.supplyAsync(() -> {
      Connection connection = idle.poll();
      try {
        if (connection == null) connection = new Connection(address);
        int status = connection.exchange(head, body);
        if (connection.reusable) idle.offer(connection);
        else connection.close();
        return status;
      } catch (IOException e) {
        if (connection != null) connection.close();
        throw new java.io.UncheckedIOException(e);
      }
    }, threads);
  }

  @Override
  public void close() {
    threads.shutdownNow();
    Connection connection;
    while ((connection = idle.poll()) != null) connection.close();
  }

  private static final class Connection {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private boolean reusable = true;

    Connection(InetSocketAddress address) throws IOException {
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(address, 5_000);
      socket.setSoTimeout(30_000);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 8192);
    }

    int exchange(byte[] head, byte[] body) throws IOException {
      byte[] length = ("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      byte[] request = new byte[head.length + length.length + body.length];
      System.arraycopy(head, 0, request, 0, head.length);
      System.arraycopy(length, 0, request, head.length, length.length);
      System.arraycopy(body, 0, request, head.length + length.length, body.length);
      out.write(request);
      out.flush();
      String statusLine = line();
      if (!statusLine.startsWith("HTTP/1.1 ") || statusLine.length() < 12) throw new IOException("bad status line " + statusLine);
      int status = Integer.parseInt(statusLine.substring(9, 12));
      long contentLength = 0;
      for (String header = line(); !header.isEmpty(); header = line()) {
        String lower = header.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) contentLength = Long.parseLong(lower.substring(15).trim());
        else if (lower.startsWith("connection:") && lower.contains("close")) reusable = false;
        else if (lower.startsWith("transfer-encoding:")) throw new IOException("chunked responses are not read here");
      }
      in.skipNBytes(contentLength);
      return status;
    }

    private String line() throws IOException {
      StringBuilder text = new StringBuilder(64);
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) throw new IOException("connection closed");
        if (b != '\r') text.append((char) b);
      }
      return text.toString();
    }

    void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // Closing a socket that failed: nothing more to do with it.
      }
    }
  }
}
