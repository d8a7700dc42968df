package dev.apilink.testkit.echo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A backend that tells what it received: method, raw path, raw query, every header, and the body's
 * length and SHA-256, as JSON. Request headers make it misbehave on purpose, so that every path
 * through a proxy can be exercised against a real server:
 *
 * <ul>
 *   <li>{@code x-echo-status: N} answers with status N;
 *   <li>{@code x-echo-response-header: Name: value} (repeatable) adds a response header (a {@code
 *       Date} replaces the echo's own);
 *   <li>{@code x-echo-download: N} answers with N bytes of {@link #pattern(long)} instead of JSON
 *       ({@code x-echo-chunked: true} leaves out the {@code Content-Length});
 *   <li>{@code x-echo-abort-after: N} sends N bytes of the download, then breaks the connection;
 *   <li>{@code x-echo-delay-ms: N} answers after N milliseconds, without holding a thread;
 *   <li>{@code x-echo-hang: true} never answers;
 *   <li>{@code x-echo-gzip: true} answers with the JSON gzip-compressed ({@code Content-Encoding:
 *       gzip});
 *   <li>{@code x-echo-sse: ID} answers {@code text/event-stream} and sends what the test passes to
 *       {@link #sse(String)}, event by event;
 *   <li>{@code x-echo-hold: ID} answers only once the test opens {@link #gate(String)}, without
 *       holding a thread meanwhile, so that many requests can be shown in flight at once.
 * </ul>
 *
 * <p>{@link #startDiscreet()} starts one that leaves the request headers out of its answers, as a
 * real gateway never sends the subscription key back: a test can then check that no response
 * carries a secret.
 */
public final class EchoBackend implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One request as the backend received it. */
  public record Received(
      String method,
      String rawPath,
      String rawQuery,
      List<Map.Entry<String, String>> headers,
      long bodyBytes,
      String bodySha256,
      boolean bodyComplete) {

    /** Every value of the header {@code name}, case-insensitively. */
    public List<String> header(String name) {
      return headers.stream()
          .filter(h -> h.getKey().equalsIgnoreCase(name))
          .map(Map.Entry::getValue)
          .toList();
    }
  }

  private final Server server;
  private final ServerConnector connector;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Map<String, SseStream> streams = new ConcurrentHashMap<>();
  private final List<Throwable> failedExchanges = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
  private final BlockingQueue<String> arrivals = new LinkedBlockingQueue<>();
  private final java.util.Set<String> arrived = ConcurrentHashMap.newKeySet();
  private final Map<String, Gate> gates = new ConcurrentHashMap<>();
  private final AtomicInteger acceptedConnections = new AtomicInteger();
  private final boolean echoHeaders;

  private EchoBackend(int maxThreads, boolean echoHeaders) {
    this.echoHeaders = echoHeaders;
    QueuedThreadPool threads = new QueuedThreadPool(maxThreads, 8);
    threads.setName("echo-backend");
    server = new Server(threads);
    HttpConfiguration config = new HttpConfiguration();
    // Report paths exactly as they arrived, however ambiguous.
    config.setUriCompliance(UriCompliance.UNSAFE);
    config.setSendServerVersion(false);
    connector = new ServerConnector(server, new HttpConnectionFactory(config));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    connector.setAcceptQueueSize(4096);
    connector.addEventListener(
        new Connection.Listener() {
          @Override
          public void onOpened(Connection connection) {
            acceptedConnections.incrementAndGet();
          }
        });
    server.addConnector(connector);
    server.setHandler(new Echo());
  }

  /** Starts a backend on a free loopback port. */
  public static EchoBackend start() {
    return start(400);
  }

  /** Starts a backend on a free loopback port with at most {@code maxThreads} threads. */
  public static EchoBackend start(int maxThreads) {
    return start(maxThreads, true);
  }

  /**
   * Starts a backend on a free loopback port that leaves the request headers out of its JSON
   * answers ({@link #received()} still has them).
   */
  public static EchoBackend startDiscreet() {
    return start(400, false);
  }

  private static EchoBackend start(int maxThreads, boolean echoHeaders) {
    EchoBackend backend = new EchoBackend(maxThreads, echoHeaders);
    try {
      backend.server.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the echo backend", e);
    }
    return backend;
  }

  public int port() {
    return connector.getLocalPort();
  }

  /** {@code http://127.0.0.1:<port>} */
  public URI url() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /** Every request received so far, in order of arrival of their ends. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  /**
   * Waits until at least {@code count} requests have been received; fails after {@code timeout}.
   */
  public void awaitReceived(int count, java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (received) {
      while (received.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "received " + received.size() + " requests, not " + count + ", within " + timeout);
        }
        received.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  /** Exchanges that ended in a failure (client went away, connection broken). */
  public List<Throwable> failedExchanges() {
    return List.copyOf(failedExchanges);
  }

  /**
   * Waits until an exchange fails (its client went away or broke the connection) and returns the
   * failure, or null after {@code timeout}.
   */
  public Throwable awaitFailedExchange(java.time.Duration timeout) throws InterruptedException {
    return failures.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Waits for the next request whose head has arrived (its body may still be on the way) and
   * returns its raw path, or null after {@code timeout}.
   */
  public String awaitArrival(java.time.Duration timeout) throws InterruptedException {
    return arrivals.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Waits until a request for {@code rawPath} has arrived (its head; its body may still be on the
   * way); fails after {@code timeout}.
   */
  public void awaitArrival(String rawPath, java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (arrived) {
      while (!arrived.contains(rawPath)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no request for " + rawPath + " arrived within " + timeout);
        }
        arrived.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  /**
   * Whether the head of a request for {@code rawPath} has arrived (its body may still be on the
   * way).
   */
  public boolean hasArrived(String rawPath) {
    return arrived.contains(rawPath);
  }

  /** Waits until at least {@code count} exchanges have failed; fails after {@code timeout}. */
  public void awaitFailedExchanges(int count, java.time.Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (failedExchanges) {
      while (failedExchanges.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              failedExchanges.size() + " exchanges failed, not " + count + ", within " + timeout);
        }
        failedExchanges.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  /** Connections open to this backend now, idle ones included. */
  public int openConnections() {
    return connector.getConnectedEndPoints().size();
  }

  /** Connections accepted since the backend started, those closed since included. */
  public int acceptedConnections() {
    return acceptedConnections.get();
  }

  public void clear() {
    received.clear();
    failedExchanges.clear();
    failures.clear();
    arrivals.clear();
    arrived.clear();
  }

  /** The gate that requests with {@code x-echo-hold: id} wait for. */
  public Gate gate(String id) {
    return gates.computeIfAbsent(id, k -> new Gate());
  }

  /** Holds answers back until opened; once open, answers at once. */
  public static final class Gate {
    private final List<Runnable> waiting = new ArrayList<>();
    private int held;
    private boolean open;

    void pass(Runnable answer) {
      synchronized (this) {
        if (!open) {
          waiting.add(answer);
          held++;
          notifyAll();
          return;
        }
      }
      answer.run();
    }

    /** Waits until {@code count} requests are held at this gate; fails after {@code timeout}. */
    public synchronized void awaitHeld(int count, java.time.Duration timeout)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (held < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              held + " requests held at the gate, not " + count + ", within " + timeout);
        }
        wait(Math.max(1, left / 1_000_000));
      }
    }

    /** Lets every held request and every later one be answered. */
    public void open() {
      List<Runnable> answers;
      synchronized (this) {
        open = true;
        answers = List.copyOf(waiting);
        waiting.clear();
      }
      answers.forEach(Runnable::run);
    }
  }

  /** The server-sent-event stream opened by a request with {@code x-echo-sse: id}. */
  public SseStream sse(String id) {
    return streams.computeIfAbsent(id, k -> new SseStream());
  }

  /** The test's end of an SSE stream: each {@link #send} reaches the client as one event. */
  public static final class SseStream {
    private static final String END = "\u0000end";
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    /** Sends {@code data: <text>} followed by the blank line that ends an event. */
    public void send(String text) {
      events.add(text);
    }

    /** Ends the stream and the response. */
    public void end() {
      events.add(END);
    }
  }

  /**
   * The bytes of a download of {@code length}: a repeating, position-dependent pattern, so that a
   * lost, duplicated or reordered chunk changes the hash.
   */
  public static InputStream pattern(long length) {
    return new InputStream() {
      private long position;

      @Override
      public int read() {
        if (position >= length) {
          return -1;
        }
        return patternByte(position++);
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (position >= length) {
          return -1;
        }
        // A block of 8192 bytes is the base block plus its block number: copy, then add.
        int n = (int) Math.min(Math.min(len, length - position), BLOCK - (position & (BLOCK - 1)));
        int from = (int) (position & (BLOCK - 1));
        byte add = (byte) (position >>> 13);
        for (int i = 0; i < n; i++) {
          b[off + i] = (byte) (BASE_BLOCK[from + i] + add);
        }
        position += n;
        return n;
      }
    };
  }

  private static final int BLOCK = 8192;

  /** The pattern's first block; block k is this one with k added to every byte. */
  private static final byte[] BASE_BLOCK = new byte[BLOCK];

  static {
    for (int i = 0; i < BLOCK; i++) {
      BASE_BLOCK[i] = (byte) patternByte(i);
    }
  }

  private static int patternByte(long position) {
    return (int) ((position * 31 + (position >>> 13)) & 0xff);
  }

  /** The SHA-256, in hex, of everything {@code in} yields. */
  public static String sha256(InputStream in) throws IOException {
    MessageDigest digest = newDigest();
    byte[] buffer = new byte[64 * 1024];
    for (int n; (n = in.read(buffer)) >= 0; ) {
      digest.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the echo backend", e);
    }
  }

  private final class Echo extends Handler.Abstract {

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      Request.addCompletionListener(
          request,
          failure -> {
            if (failure != null) {
              synchronized (failedExchanges) {
                failedExchanges.add(failure);
                failedExchanges.notifyAll();
              }
              failures.add(failure);
            }
          });
      String path = request.getHttpURI().getPath();
      arrivals.add(path);
      synchronized (arrived) {
        arrived.add(path);
        arrived.notifyAll();
      }
      String sse = request.getHeaders().get("x-echo-sse");
      if (sse != null) {
        streamEvents(request, response, callback, sse);
        return true;
      }

      MessageDigest digest = newDigest();
      long bodyBytes = 0;
      boolean complete = true;
      try (InputStream body = Content.Source.asInputStream(request)) {
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = body.read(buffer)) >= 0; ) {
          digest.update(buffer, 0, n);
          bodyBytes += n;
        }
      } catch (IOException e) {
        complete = false;
      }
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      for (HttpField field : request.getHeaders()) {
        headers.add(Map.entry(field.getName(), field.getValue()));
      }
      Received what =
          new Received(
              request.getMethod(),
              request.getHttpURI().getPath(),
              request.getHttpURI().getQuery(),
              List.copyOf(headers),
              bodyBytes,
              HexFormat.of().formatHex(digest.digest()),
              complete);
      synchronized (received) {
        received.add(what);
        received.notifyAll();
      }
      if (!complete) {
        callback.failed(new IOException("request body broke off"));
        return true;
      }
      if ("true".equals(request.getHeaders().get("x-echo-hang"))) {
        return true; // never completes: the client has to give up
      }

      Runnable answer = () -> answer(request, response, callback, what);
      String delay = request.getHeaders().get("x-echo-delay-ms");
      String hold = request.getHeaders().get("x-echo-hold");
      if (hold != null) {
        gate(hold).pass(answer);
      } else if (delay != null) {
        request
            .getComponents()
            .getScheduler()
            .schedule(answer, Long.parseLong(delay), TimeUnit.MILLISECONDS);
      } else {
        answer.run();
      }
      return true;
    }

    private void answer(Request request, Response response, Callback callback, Received what) {
      try {
        String status = request.getHeaders().get("x-echo-status");
        response.setStatus(status == null ? 200 : Integer.parseInt(status));
        for (String header : request.getHeaders().getValuesList("x-echo-response-header")) {
          int colon = header.indexOf(':');
          String name = header.substring(0, colon).trim();
          String value = header.substring(colon + 1).trim();
          if (HttpHeader.DATE.is(name)) {
            response.getHeaders().put(name, value); // replaces Jetty's own
          } else {
            response.getHeaders().add(name, value);
          }
        }
        String download = request.getHeaders().get("x-echo-download");
        String abortAfter = request.getHeaders().get("x-echo-abort-after");
        if (download != null || abortAfter != null) {
          long length = Long.parseLong(download != null ? download : abortAfter);
          long sendBytes = abortAfter != null ? Long.parseLong(abortAfter) : length;
          sendDownload(request, response, callback, length, sendBytes, abortAfter != null);
          return;
        }
        byte[] body = describe(what).getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        if ("true".equals(request.getHeaders().get("x-echo-gzip"))) {
          body = gzip(body);
          response.getHeaders().put(HttpHeader.CONTENT_ENCODING, "gzip");
        }
        if (status != null && (status.equals("204") || status.equals("304"))) {
          callback.succeeded();
          return;
        }
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
      } catch (Throwable e) {
        callback.failed(e);
      }
    }

    private void sendDownload(
        Request request,
        Response response,
        Callback callback,
        long length,
        long sendBytes,
        boolean abort)
        throws IOException {
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
      if (!"true".equals(request.getHeaders().get("x-echo-chunked"))) {
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
      }
      // Writes block this backend thread: a backend may be simple.
      OutputStream out = Content.Sink.asOutputStream(response);
      try (InputStream in = pattern(sendBytes)) {
        in.transferTo(out);
        out.flush();
      }
      if (abort) {
        callback.failed(new IOException("the echo backend breaks off on purpose"));
        return;
      }
      out.close();
      callback.succeeded();
    }

    private void streamEvents(Request request, Response response, Callback callback, String id)
        throws IOException, InterruptedException {
      SseStream stream = sse(id);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
      OutputStream out = Content.Sink.asOutputStream(response);
      out.flush();
      while (true) {
        String event = stream.events.take();
        if (event.equals(SseStream.END)) {
          break;
        }
        out.write(("data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      out.close();
      streams.remove(id);
      callback.succeeded();
    }

    private String describe(Received what) {
      ObjectNode json = JSON.createObjectNode();
      json.put("method", what.method());
      json.put("rawPath", what.rawPath());
      json.put("rawQuery", what.rawQuery());
      if (echoHeaders) {
        ArrayNode headers = json.putArray("headers");
        for (Map.Entry<String, String> header : what.headers()) {
          headers.addArray().add(header.getKey()).add(header.getValue());
        }
      }
      json.put("bodyBytes", what.bodyBytes());
      json.put("bodySha256", what.bodySha256());
      return json.toString();
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
      java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
      try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
        gzip.write(bytes);
      }
      return compressed.toByteArray();
    }
  }
}
