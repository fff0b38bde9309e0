package io.parley.gateway;

import io.parley.TokenBucket;
import akka.actor.typed.ActorRef;
import akka.http.impl.engine.ws.FrameEvent$;
import akka.http.impl.engine.ws.FrameHandler;
import akka.http.impl.engine.ws.Protocol;
import akka.http.impl.engine.ws.WebSocket;
import akka.stream.Attributes;
import akka.stream.FlowShape;
import akka.stream.Inlet;
import akka.stream.Outlet;
import akka.stream.stage.AsyncCallback;
import akka.stream.stage.GraphStage;
import akka.stream.stage.GraphStageLogic;
import akka.stream.stage.InHandler;
import akka.stream.stage.OutHandler;
import akka.stream.stage.TimerGraphStageLogic;
import akka.util.ByteString;
import io.parley.api.ApiError;
import io.parley.gateway.WebSocketCloseCodes.Close;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import scala.Option;

/**
 * One WebSocket between Akka HTTP's frame handling and the actor behind it, as a single stage: client text frames go
 * to the actor, the actor's frames and then its close code go to the client, and the server pings a silent client.
 * It stands in for Akka's message layer, its keep-alive and tick stages, a throttle and an actor source, which cost
 * about twenty stages for every connection; the stage itself is built once per node and shared by all sockets.
 */
final class SocketStage extends GraphStage<FlowShape<FrameHandler.Output, Object>> {

  /** Starts the actor behind one socket; it is told client frames, and {@link Session.ClientGone} at the end. */
  interface Starter {
    ActorRef<Session.Command> start(Session.Outgoing out, Optional<String> token);
  }

  /** Limits of one socket. */
  record Limits(int outgoingBuffer, int maxFrameBytes, double framesPerSecond, int frameBurst, Duration keepAlive) {}

  /**
   * The token of one upgrade request. The stage is shared, so the token reaches it through the stream's attributes;
   * it is taken once, because Akka HTTP keeps the upgrade response, and these attributes in it, for the socket's life.
   */
  static final class Token implements Attributes.Attribute {
    private Optional<String> token;

    Token(Optional<String> token) {
      this.token = token;
    }

    synchronized Optional<String> take() {
      Optional<String> taken = token;
      token = Optional.empty();
      return taken;
    }
  }

  private static final Close SLOW_CONSUMER = new Close(1008, "slow_consumer");
  /**
   * Client frames told to the session and not yet taken from its mailbox. Past it the socket is not read: a session
   * behind (a starved CPU, frames that are slow to parse) would otherwise collect every frame the flood limit lets
   * through, up to the frame size each, and its own timers (the auth deadline) would wait behind them all.
   */
  static final int MAX_UNTAKEN = 8;
  /** How long Akka waits for the client's close frame after the server's; ticks let it see the time pass. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);
  private static final String TICK = "tick";
  private static final String RESUME = "resume";
  private static final String KEEP_ALIVE = "keep-alive";
  private static final Protocol.Opcode TEXT = opcode(0x1);
  private static final Object PING =
      new FrameHandler.DirectAnswer(
          FrameEvent$.MODULE$.fullFrame(opcode(0x9), Option.empty(), ByteString.emptyByteString(), true, false, false, false));

  private final Inlet<FrameHandler.Output> in = Inlet.create("SocketStage.in");
  private final Outlet<Object> out = Outlet.create("SocketStage.out");
  private final FlowShape<FrameHandler.Output, Object> shape = FlowShape.of(in, out);
  private final Starter starter;
  private final Limits limits;

  SocketStage(Starter starter, Limits limits) {
    this.starter = starter;
    this.limits = limits;
  }

  @Override
  public FlowShape<FrameHandler.Output, Object> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new Logic(attributes.getAttribute(Token.class).map(Token::take).orElse(Optional.empty()));
  }

  private final class Logic extends TimerGraphStageLogic implements InHandler, OutHandler {
    /** Until the session has it: a socket holds no token for its life. */
    private Optional<String> token;
    private ActorRef<Session.Command> session;
    /** Frames the client has not taken yet; made on the first one that has to wait. */
    private ArrayDeque<String> queue;
    /** An answer of the protocol's own (pong, ping, the peer's close) waiting for the client to read. */
    private Object bypass;
    /** A client frame waiting for the flood limit; nothing more is read meanwhile. */
    private Session.Command held;
    private Close close;
    private boolean closeSent;
    /** The text of a message in several frames, until its last. */
    private StringBuilder partial;
    /** Why the message being received will be refused once it ends, or null. */
    private Session.IncomingRejected refusing;
    private boolean heard;
    private TokenBucket flood;
    private int untaken;

    Logic(Optional<String> token) {
      super(shape);
      this.token = token;
      setHandlers(in, out, this);
    }

    @Override
    public void preStart() {
      AsyncCallback<String> send = createAsyncCallback(this::enqueue);
      AsyncCallback<Close> closing = createAsyncCallback(this::requestClose);
      AsyncCallback<Boolean> taken = createAsyncCallback(ignored -> onTaken());
      // Backpressure to the socket far above the session's rate limit, so that a flood costs the flooder, not memory.
      flood = new TokenBucket(Math.ceil(limits.framesPerSecond() * 5) + limits.frameBurst(), limits.frameBurst() * 5);
      session =
          starter.start(
              new Session.Outgoing() {
                @Override
                public void send(String text) {
                  send.invoke(text);
                }

                @Override
                public void close(Close reason) {
                  closing.invoke(reason);
                }

                @Override
                public void taken() {
                  taken.invoke(Boolean.TRUE);
                }
              },
              token);
      token = null;
      // Akka's keep-alive checks every eighth of its interval; half is enough, and a ping still goes out before a
      // silence of the full interval is over.
      if (limits.keepAlive() != null) {
        scheduleWithFixedDelay(KEEP_ALIVE, limits.keepAlive().dividedBy(2), limits.keepAlive().dividedBy(2));
      }
      pull(in);
    }

    @Override
    public void postStop() {
      if (session != null) session.tell(Session.ClientGone.INSTANCE);
    }

    // ------------------------------------------------------------ to the client

    private void enqueue(String text) {
      if (close != null || closeSent) return;
      if (isAvailable(out)) {
        push(out, textFrame(text));
      } else if (queue != null && queue.size() >= limits.outgoingBuffer()) {
        // A client that reads slower than it is written to is closed, never buffered without bound.
        queue = null;
        requestClose(SLOW_CONSUMER);
      } else {
        if (queue == null) queue = new ArrayDeque<>(8);
        queue.add(text);
      }
    }

    /** The close frame goes once every frame before it has: it travels behind the last one. */
    private void requestClose(Close reason) {
      if (close != null) return;
      close = reason;
      if (isAvailable(out)) onPull();
    }

    @Override
    public void onPull() {
      if (bypass != null) {
        Object answer = bypass;
        bypass = null;
        push(out, answer);
        pullIn();
      } else if (queue != null && !queue.isEmpty()) {
        push(out, textFrame(queue.poll()));
        if (queue.isEmpty()) queue = null;
      } else if (close != null && !closeSent) {
        closeSent = true;
        push(out, new FrameHandler.ActivelyCloseWithCode(Option.apply(close.code()), close.reason()));
        // Akka's close handling gives up on a client that does not answer the close frame on the first tick past its
        // timeout; ticks flow only from here on.
        scheduleWithFixedDelay(TICK, CLOSE_TIMEOUT, CLOSE_TIMEOUT);
      }
    }

    private void answer(Object event) {
      if (isAvailable(out)) {
        push(out, event);
      } else {
        bypass = event;
      }
    }

    @Override
    public void onTimer(Object key) {
      if (key == RESUME) {
        Session.Command command = held;
        held = null;
        deliver(command);
        // Reading stopped while the frame was held: nothing else would ask the client for the next one.
        pullIn();
      } else if (key == TICK) {
        if (isAvailable(out)) push(out, WebSocket.Tick$.MODULE$);
      } else if (key == KEEP_ALIVE) {
        if (!heard && bypass == null && !closeSent) answer(PING);
        heard = false;
      }
    }

    // ------------------------------------------------------------ from the client

    @Override
    public void onPush() {
      FrameHandler.Output event = grab(in);
      heard = true;
      if (event instanceof FrameHandler.TextMessagePart text) {
        text(text.data(), text.last());
      } else if (event instanceof FrameHandler.BinaryMessagePart binary) {
        if (refusing == null) {
          refusing = new Session.IncomingRejected(ApiError.BAD_REQUEST, "binary frames are not supported; send JSON text");
        }
        if (binary.last()) ended(null);
      } else if (event instanceof FrameHandler.PeerClosed) {
        // The client closed: Akka answers its close frame once the handler is done, which it is at once.
        queue = null;
        close = Close.NORMAL;
        closeSent = true;
        emitMultiple(out, List.<Object>of(event, FrameHandler.UserHandlerCompleted$.MODULE$).iterator(), this::completeStage);
        return;
      } else if (event instanceof FrameHandler.ActivelyCloseWithCode) {
        // A protocol error: Akka closes with its code and waits for the client's close frame.
        queue = null;
        close = Close.NORMAL;
        closeSent = true;
        scheduleWithFixedDelay(TICK, CLOSE_TIMEOUT, CLOSE_TIMEOUT);
        answer(event);
      } else if (event instanceof FrameHandler.DirectAnswer) {
        answer(event);
      }
      pullIn();
    }

    private void text(String data, boolean last) {
      if (refusing == null) {
        if (partial == null && last) {
          deliver(checked(data));
          return;
        }
        if (partial == null) partial = new StringBuilder();
        partial.append(data);
        // A UTF-16 unit is at least one byte of UTF-8: past this many, the message is too large whatever it holds.
        if (partial.length() > limits.maxFrameBytes()) {
          partial = null;
          refusing = tooLarge();
        }
      }
      if (last) ended(partial == null ? null : partial.toString());
    }

    private void ended(String text) {
      Session.Command command = refusing != null ? refusing : checked(text);
      partial = null;
      refusing = null;
      deliver(command);
    }

    private void deliver(Session.Command command) {
      if (closeSent) return;
      if (untaken >= MAX_UNTAKEN) {
        held = command;
      } else if (flood.tryTake()) {
        untaken++;
        session.tell(command);
      } else {
        held = command;
        scheduleOnce(RESUME, flood.untilNext());
      }
    }

    /** A frame held for the session's room goes now; one held for the flood limit waits for its timer. */
    private void onTaken() {
      untaken--;
      if (held != null && !isTimerActive(RESUME)) {
        Session.Command command = held;
        held = null;
        deliver(command);
        pullIn();
      }
    }

    private void pullIn() {
      if (bypass == null && held == null && !isClosed(in) && !hasBeenPulled(in)) pull(in);
    }

    private Session.Command checked(String text) {
      // UTF-8 needs at most 3 bytes per UTF-16 unit, so most frames are cleared without encoding them.
      if ((long) text.length() * 3 > limits.maxFrameBytes()
          && text.getBytes(StandardCharsets.UTF_8).length > limits.maxFrameBytes()) {
        return tooLarge();
      }
      return new Session.Incoming(text);
    }

    private Session.IncomingRejected tooLarge() {
      return new Session.IncomingRejected(ApiError.TOO_LARGE, "frame larger than " + limits.maxFrameBytes() + " bytes");
    }
  }

  private static Object textFrame(String text) {
    return FrameEvent$.MODULE$.fullFrame(
        TEXT, Option.empty(), ByteString.fromString(text), true, false, false, false);
  }

  /** RFC 6455 opcodes; Scala's nested objects for them cannot be named from Java. */
  private static Protocol.Opcode opcode(int code) {
    return Protocol.Opcode$.MODULE$.forCode((byte) code);
  }
}
