package io.parley.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One thread and one {@link Selector} for every connection of the NIO load client: it finishes connects, reads and
 * decodes what the server sends, and writes what a socket could not take at once. Other threads hand it work
 * through {@link #execute}, which wakes the selector at most once per round however many tasks arrive.
 */
final class SelectorLoop implements AutoCloseable {
  /** A channel's owner, told when its key is ready and when the loop shuts down. */
  interface Handler {
    void onReady(SelectionKey key);

    void onShutdown();
  }

  /** One read buffer for all connections: only the loop thread reads, and decoders copy what they keep. */
  final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);

  private final Selector selector;
  private final Thread thread;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private volatile boolean running = true;

  SelectorLoop(String name) {
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Runs {@code task} on the loop thread, in the order given. */
  void execute(Runnable task) {
    tasks.add(task);
    if (wakeupPending.compareAndSet(false, true)) selector.wakeup();
  }

  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Registers {@code channel}; on the loop thread only. */
  SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws IOException {
    return channel.register(selector, ops, handler);
  }

  private void run() {
    try {
      while (running) {
        selector.select(this::ready, 1000);
        // Cleared before the tasks run, so that a task added from now on wakes the next select.
        wakeupPending.set(false);
        for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
          try {
            task.run();
          } catch (RuntimeException e) {
            e.printStackTrace();
          }
        }
      }
    } catch (IOException e) {
      e.printStackTrace();
    } finally {
      List<Handler> handlers = new ArrayList<>();
      for (SelectionKey key : selector.keys()) handlers.add((Handler) key.attachment());
      for (Handler handler : handlers) handler.onShutdown();
      try {
        selector.close();
      } catch (IOException ignored) {
        // Nothing is left to read from it.
      }
    }
  }

  private void ready(SelectionKey key) {
    try {
      ((Handler) key.attachment()).onReady(key);
    } catch (RuntimeException e) {
      e.printStackTrace();
    }
  }

  /** Stops the loop; every channel still registered is told to shut down, then the selector closes. */
  @Override
  public void close() {
    running = false;
    selector.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
