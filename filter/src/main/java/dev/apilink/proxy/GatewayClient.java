package dev.apilink.proxy;

import dev.apilink.config.BackendConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.Authentication;
import org.eclipse.jetty.client.BasicAuthentication;
import org.eclipse.jetty.client.Connection;
import org.eclipse.jetty.client.ContinueProtocolHandler;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.DuplexConnectionPool;
import org.eclipse.jetty.client.EarlyHintsProtocolHandler;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpProxy;
import org.eclipse.jetty.client.ProxyConfiguration;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Socks4Proxy;
import org.eclipse.jetty.client.Socks5;
import org.eclipse.jetty.client.Socks5Proxy;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The non-blocking HTTP client that talks to one gateway, with its connection pool. It forwards
 * what it is given and nothing else: no cookies kept between requests (one client serves every
 * user), no redirects followed, no authentication answered, no content decoded (compressed bodies
 * pass through untouched), no default {@code User-Agent} or {@code Content-Type} added.
 */
public final class GatewayClient implements AutoCloseable {

  /** The buffer a response body is read into, and written to the client from. */
  static final int RESPONSE_BUFFER_BYTES = 64 * 1024;

  /**
   * The most a gateway request's head may take, request line included: past it Jetty's client fails
   * the request before sending anything ({@link GatewayError#requestHeadersTooLarge}).
   */
  static final int MAX_REQUEST_HEADER_BYTES = 64 * 1024;

  /** How long {@link #close} waits for the timers' thread to end. */
  private static final int STOP_WAIT_SECONDS = 5;

  private final HttpClient http;
  private final Timers timers;
  private final Proxy proxy;
  private final boolean sendsRequestsToProxy;

  private GatewayClient(HttpClient http, Timers timers, Proxy proxy, boolean sendsRequestsToProxy) {
    this.http = http;
    this.timers = timers;
    this.proxy = proxy;
    this.sendsRequestsToProxy = sendsRequestsToProxy;
  }

  /** Starts a client for {@code backend}. */
  public static GatewayClient start(BackendConfig backend, String name) throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool(200, 8);
    threads.setName(name);
    threads.setDaemon(true);

    // Jetty's own HTTP/1.1 transport, with the response pump kept out of its parsing.
    OutsideParsing.Transport transport = new OutsideParsing.Transport();
    // A connection older than maxConnectionAgeSeconds is closed instead of being used again, so
    // that a busy site, whose pooled connections are never idle for keepAliveSeconds, follows a
    // change of the gateway's address: Jetty's default pool kept a connection for as long as the
    // gateway did. An exchange in progress is never cut short by it.
    int maxAgeSeconds = backend.maxConnectionAgeSeconds();
    transport.setConnectionPoolFactory(
        destination -> {
          DuplexConnectionPool pool =
              new DuplexConnectionPool(destination, backend.maxConnections());
          pool.setMaxDuration(maxAgeSeconds * 1000L);
          return pool;
        });
    HttpClient http = new HttpClient(transport);
    http.setName(name);
    http.setExecutor(threads);
    // The client's timers run on a thread of ApiLink's own, which close() waits for: Jetty's
    // default scheduler stops without waiting, and Tomcat, checking a stopped application's
    // threads at once, once reported it as left running ("appears to have started a thread named
    // [apilink-<site>-scheduler-1] but has failed to stop it").
    Timers timers = new Timers(name + "-scheduler");
    Scheduler scheduler = new ScheduledExecutorScheduler(timers);
    http.setScheduler(scheduler);
    http.setConnectTimeout(backend.connectTimeoutSeconds() * 1000L);
    // Looking up the host name is part of opening a connection, and has its limit. Jetty's own
    // limit, 15 s, ended with the TimeoutException of a request's total timeout: a lookup that a
    // DNS server left unanswered got "did not answer within 0 seconds" after 15 s (a reviewer's,
    // with timeoutSeconds 0 and connectTimeoutSeconds 1).
    http.setAddressResolutionTimeout(backend.connectTimeoutSeconds() * 1000L);
    http.setSocketAddressResolver(
        new LookupLimitedResolver(
            new SocketAddressResolver.Async(threads, scheduler, http.getAddressResolutionTimeout()),
            backend.connectTimeoutSeconds()));
    // For pooled connections only: every exchange turns it off while it runs (ProxyExchange), as
    // timeoutSeconds alone limits an exchange. Jetty's own default, 30 s, applied to exchanges as
    // well: a gateway silent for 30 s (a slow answer, a gap between events) was cut off whatever
    // timeoutSeconds said.
    http.setIdleTimeout(backend.keepAliveSeconds() * 1000L);
    http.setFollowRedirects(false);
    http.setHttpCookieStore(new HttpCookieStore.Empty());
    http.setUserAgentField(null);
    http.setDefaultRequestContentType(null);
    http.setMaxConnectionsPerDestination(backend.maxConnections());
    http.setMaxRequestsQueuedPerDestination(maxQueued(backend));
    // Whatever header block the container accepted, plus ApiLink's own fields, must fit.
    http.setMaxRequestHeadersSize(MAX_REQUEST_HEADER_BYTES);
    // Past maxResponseHeaderBytes (at most this) ApiLink answers 502 itself, naming the cause.
    http.setMaxResponseHeadersSize(BackendConfig.MAX_RESPONSE_HEADER_BYTES);
    // Heap buffers let response chunks be written to the servlet stream without a copy.
    http.setUseInputDirectByteBuffers(false);
    // Each buffer of a response body costs a round trip through the client's selector and a
    // write to the client; 64 KiB rather than Jetty's 16 KiB quarters that for large bodies.
    http.setResponseBufferSize(RESPONSE_BUFFER_BYTES);
    Proxy proxy = proxyFor(backend, ProxySelector.getDefault());
    InetSocketAddress proxyAddress = proxyAddress(proxy);
    boolean viaHttpProxy = proxy.type() == Proxy.Type.HTTP && proxyAddress != null;
    if (viaHttpProxy) {
      HttpProxy viaProxy =
          new TunnelLimitedProxy(
              proxyAddress.getHostString(),
              proxyAddress.getPort(),
              backend.connectTimeoutSeconds());
      http.getProxyConfiguration().addProxy(viaProxy);
      if (backend.proxyCredentials() != null) {
        // Sent with every request to the proxy, the CONNECT of a tunnel or an http gateway's
        // request, without waiting for a 407: no authentication is answered (see below).
        http.getAuthenticationStore()
            .addAuthenticationResult(proxyAuthorization(viaProxy, backend));
      }
    } else if (proxy.type() == Proxy.Type.SOCKS && proxyAddress != null) {
      http.getProxyConfiguration().addProxy(socksProxy(proxyAddress, backend, http));
    }
    http.start();
    http.getContentDecoderFactories().clear();
    // No redirects followed and no authentication answered; but the interim 1xx responses a
    // gateway may send before its answer (100 unasked, 102 Processing, 103 Early Hints, and any
    // other but 101, which RFC 9110 15.2 says a client must take as interim too), however many
    // come, are read and skipped: without a handler Jetty took the 1xx as the answer and the
    // exchange hung, past timeoutSeconds, holding its gateway connection (a reviewer's 104 and
    // 199). The Servlet API cannot pass a 1xx on (RFC 9110 15.2 allows dropping those the client
    // did not ask for).
    http.getProtocolHandlers().clear();
    http.getProtocolHandlers().put(new ContinueProtocolHandler());
    // Asked after the handler above (Jetty asks them in order), for the 100s that one declines.
    http.getProtocolHandlers().put(new InterimResponses());
    return new GatewayClient(
        http, timers, proxy, viaHttpProxy && !"https".equals(backend.url().getScheme()));
  }

  /**
   * How many requests may wait for one of {@code backend}'s {@code maxConnections} connections: the
   * next is refused at once ({@link GatewayError#queueFull}).
   */
  static int maxQueued(BackendConfig backend) {
    return Math.max(1024, backend.maxConnections() * 4);
  }

  /**
   * The proxy that the JVM's proxy settings choose for the gateway: {@code https.proxyHost} and
   * {@code https.proxyPort} (or {@code http.*} for an http gateway), unless {@code
   * http.nonProxyHosts} names its host; or whatever {@link ProxySelector} is set for the JVM.
   * Through an HTTP proxy, an https gateway is reached by a {@code CONNECT} tunnel: the proxy sees
   * neither the key nor the token.
   */
  static Proxy proxyFor(BackendConfig backend, ProxySelector selector) {
    if (selector == null) {
      return Proxy.NO_PROXY;
    }
    List<Proxy> proxies = selector.select(backend.url());
    return proxies == null || proxies.isEmpty() ? Proxy.NO_PROXY : proxies.get(0);
  }

  /**
   * The SOCKS proxy that the JVM's {@code socksProxyHost} names: version 5 (with {@code backend}'s
   * proxy credentials as user name and password, RFC 1929, if set), or 4 where {@code
   * socksProxyVersion} says so, as the JDK's own sockets read it. The gateway's host name is
   * resolved by the proxy (SOCKS 4a for version 4). The proxy's answer must come within the connect
   * limit, and a refusal is a connection refused.
   */
  private static ProxyConfiguration.Proxy socksProxy(
      InetSocketAddress address, BackendConfig backend, HttpClient http) {
    String host = address.getHostString();
    int port = address.getPort();
    int seconds = backend.connectTimeoutSeconds();
    if (socksVersion4()) {
      return new Socks4Proxy(host, port) {
        @Override
        public ClientConnectionFactory newClientConnectionFactory(ClientConnectionFactory factory) {
          return handshakeLimited(
              super.newClientConnectionFactory(tunnelled(factory)), seconds, http);
        }
      };
    }
    Socks5Proxy socks5 =
        new Socks5Proxy(host, port) {
          @Override
          public ClientConnectionFactory newClientConnectionFactory(
              ClientConnectionFactory factory) {
            return handshakeLimited(
                super.newClientConnectionFactory(tunnelled(factory)), seconds, http);
          }
        };
    if (backend.proxyCredentials() != null) {
      socks5.putAuthenticationFactory(
          new Socks5.UsernamePasswordAuthenticationFactory(
              backend.proxyUser(), backend.proxyPassword(), StandardCharsets.UTF_8));
    }
    return socks5;
  }

  /**
   * Whether {@code backend}'s proxy credentials fit SOCKS 5's user name and password: at most 255
   * bytes each in UTF-8 (RFC 1929). Jetty writes a longer one's length in one byte, and the proxy
   * refused a correct 300-character password (found by review with Dante 1.4.2).
   */
  public static boolean fitSocks5(BackendConfig backend) {
    return backend.proxyUser().getBytes(StandardCharsets.UTF_8).length <= 255
        && backend.proxyPassword().getBytes(StandardCharsets.UTF_8).length <= 255;
  }

  /**
   * Whether the JVM's {@code socksProxyVersion} asks for SOCKS 4, which takes no password; the
   * JDK's default is 5.
   */
  public static boolean socksVersion4() {
    return "4".equals(System.getProperty("socksProxyVersion"));
  }

  /**
   * The context key set once the SOCKS proxy has connected to the gateway and the gateway's own
   * connection (its TLS first, for an https gateway) takes over.
   */
  private static final String SOCKS_TUNNELLED = "dev.apilink.socks.tunnelled";

  /** {@code factory}, noting in the connection's context that the SOCKS handshake is over. */
  private static ClientConnectionFactory tunnelled(ClientConnectionFactory factory) {
    return (endPoint, context) -> {
      context.put(SOCKS_TUNNELLED, Boolean.TRUE);
      return factory.newConnection(endPoint, context);
    };
  }

  /**
   * {@code viaSocks}, with the SOCKS proxy's answers limited to {@code seconds} (Jetty waits for
   * them as long as for an idle connection) and its refusals reported as refused connections (Jetty
   * reports them as plain I/O errors, which read as a gateway that broke off).
   */
  private static ClientConnectionFactory handshakeLimited(
      ClientConnectionFactory viaSocks, int seconds, HttpClient http) {
    return (endPoint, context) -> {
      // Called once the connection to the proxy is open: from here on, until the gateway's
      // connection (or its TLS) takes over, the time is the SOCKS handshake's. A timer of its own,
      // as closing the connection at an idle timeout could be reported as the closed channel
      // rather than the timeout.
      @SuppressWarnings("unchecked")
      Promise<Connection> opened =
          (Promise<Connection>) context.get(Connection.PROMISE_CONTEXT_KEY);
      AtomicBoolean settled = new AtomicBoolean();
      Scheduler.Task limit =
          http.getScheduler()
              .schedule(
                  () -> {
                    if (settled.compareAndSet(false, true)) {
                      TunnelTimeout timeout = new TunnelTimeout(seconds);
                      opened.failed(timeout);
                      endPoint.close(timeout);
                    }
                  },
                  seconds,
                  TimeUnit.SECONDS);
      context.put(
          Connection.PROMISE_CONTEXT_KEY,
          Promise.<Connection>from(
              connection -> {
                if (settled.compareAndSet(false, true)) {
                  limit.cancel();
                  opened.succeeded(connection);
                }
              },
              failure -> {
                if (settled.compareAndSet(false, true)) {
                  limit.cancel();
                  opened.failed(
                      socksFailure(failure, seconds, context.containsKey(SOCKS_TUNNELLED)));
                }
              }));
      return viaSocks.newConnection(endPoint, context);
    };
  }

  /**
   * What a failure while a SOCKS proxy connects to the gateway means: no answer within the connect
   * limit, or, before the proxy has connected ({@code tunnelled} false), the proxy's refusal, which
   * Jetty reports as a bare {@link IOException} ("SOCKS5 connection refused") or, where the proxy
   * closed the connection without a reply (OpenSSH's {@code ssh -D} does so when it cannot connect
   * to the gateway), as a {@link java.nio.channels.ClosedChannelException}; anything after (the
   * gateway's TLS handshake, say) as it is.
   */
  private static Throwable socksFailure(Throwable failure, int seconds, boolean tunnelled) {
    if (failure instanceof TimeoutException) {
      return new TunnelTimeout(seconds);
    }
    return tunnelled ? failure : new SocksRefusal(failure);
  }

  /** The SOCKS proxy's refusal to connect to the gateway, as Jetty reported it. */
  static final class SocksRefusal extends ConnectException {
    private static final long serialVersionUID = 1L;

    SocksRefusal(Throwable refusal) {
      super(
          refusal.getMessage() == null
              ? "the SOCKS proxy closed the connection without connecting to the gateway"
              : "the SOCKS proxy did not connect to the gateway: " + refusal.getMessage());
      initCause(refusal);
    }
  }

  /** Basic {@code Proxy-Authorization} with {@code backend}'s proxy credentials. */
  private static Authentication.Result proxyAuthorization(HttpProxy proxy, BackendConfig backend) {
    return new BasicAuthentication.BasicResult(
        proxy.getURI(),
        HttpHeader.PROXY_AUTHORIZATION,
        backend.proxyUser(),
        backend.proxyPassword(),
        StandardCharsets.UTF_8);
  }

  /**
   * Jetty's HTTP proxy, with a {@code CONNECT} that the proxy does not answer within the connect
   * limit reported as no connection: Jetty gives up the tunnel at that limit, but with the same
   * {@link TimeoutException} as an exchange that ran out of {@code timeoutSeconds}, which made the
   * answer "the API gateway did not answer within 0 seconds".
   */
  private static final class TunnelLimitedProxy extends HttpProxy {
    private final int connectTimeoutSeconds;

    TunnelLimitedProxy(String host, int port, int connectTimeoutSeconds) {
      super(host, port);
      this.connectTimeoutSeconds = connectTimeoutSeconds;
    }

    @Override
    public ClientConnectionFactory newClientConnectionFactory(ClientConnectionFactory factory) {
      ClientConnectionFactory viaProxy = super.newClientConnectionFactory(factory);
      return (endPoint, context) -> {
        // Called once the connection to the proxy is open: a timeout from here on is the tunnel's.
        @SuppressWarnings("unchecked")
        Promise<Connection> opened =
            (Promise<Connection>) context.get(Connection.PROMISE_CONTEXT_KEY);
        context.put(
            Connection.PROMISE_CONTEXT_KEY,
            Promise.<Connection>from(
                opened::succeeded,
                failure ->
                    opened.failed(
                        failure instanceof TimeoutException
                            ? new TunnelTimeout(connectTimeoutSeconds)
                            : failure)));
        return viaProxy.newConnection(endPoint, context);
      };
    }
  }

  /**
   * Jetty's host name lookup, with a lookup that did not finish within the connect limit reported
   * as no connection ({@link HostLookupTimeout}) rather than with the {@link TimeoutException} of
   * an exchange that ran out of {@code timeoutSeconds}.
   */
  private record LookupLimitedResolver(SocketAddressResolver lookup, int connectTimeoutSeconds)
      implements SocketAddressResolver {
    @Override
    public void resolve(
        String host,
        int port,
        Map<String, Object> context,
        Promise<List<InetSocketAddress>> resolved) {
      lookup.resolve(
          host,
          port,
          context,
          Promise.from(
              resolved::succeeded,
              failure ->
                  resolved.failed(
                      failure instanceof TimeoutException
                          ? new HostLookupTimeout(host, connectTimeoutSeconds)
                          : failure)));
    }
  }

  /**
   * A host name lookup (of the gateway's host, or the proxy's) that ran out of the connect limit.
   */
  static final class HostLookupTimeout extends SocketTimeoutException {
    private static final long serialVersionUID = 1L;

    HostLookupTimeout(String host, int seconds) {
      super("the lookup of the host name " + host + " did not finish within " + seconds + " s");
    }
  }

  /** A {@code CONNECT}, or a SOCKS handshake, the proxy did not answer within the connect limit. */
  static final class TunnelTimeout extends SocketTimeoutException {
    private static final long serialVersionUID = 1L;

    TunnelTimeout(int seconds) {
      super("the proxy did not open a tunnel to the gateway within " + seconds + " s");
    }
  }

  /**
   * Skips every interim response but 101 (a switch of protocols ApiLink never asks for: the
   * exchange answers it with a 502). Jetty's handler for 103 skips whatever it accepts; only what
   * it accepts is widened. A 100 reaches it only when Jetty's handler for 100 declines it, as that
   * takes the first 100 of a request alone: a second one (RFC 9110 15.2 lets a server send any
   * number of 1xx) was taken for the answer, and the exchange hung until timeoutSeconds, holding
   * its gateway connection (review h40s: 100 twice, and 100, 102, 100).
   */
  private static final class InterimResponses extends EarlyHintsProtocolHandler {
    @Override
    public boolean accept(Request request, Response response) {
      int status = response.getStatus();
      return status >= 100 && status < 200 && status != 101;
    }
  }

  /** Runs {@code task} once after {@code delayNanos}, unless this client has stopped by then. */
  void schedule(Runnable task, long delayNanos) {
    try {
      http.getScheduler().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // stopped: whatever the task was for was done when the client's link closed
    }
  }

  /** The proxy the JVM's settings chose for the gateway ({@link Proxy#NO_PROXY} for none). */
  public Proxy proxy() {
    return proxy;
  }

  /**
   * Whether requests go to an HTTP proxy as they are, to be passed on to an http gateway, rather
   * than through a tunnel.
   */
  public boolean sendsRequestsToProxy() {
    return sendsRequestsToProxy;
  }

  /**
   * How the gateway is reached, for log lines after its URL: {@code " through the HTTP proxy
   * host:port"} (or the SOCKS proxy), or empty for a direct connection.
   */
  public String route() {
    return route(proxy);
  }

  /** As {@link #route()}, for {@code proxy}; an IPv6 address in brackets, as in a URL. */
  static String route(Proxy proxy) {
    InetSocketAddress address = proxyAddress(proxy);
    if (address == null) {
      return "";
    }
    String host = address.getHostString();
    return " through the "
        + (proxy.type() == Proxy.Type.HTTP ? "HTTP" : "SOCKS")
        + " proxy "
        + (host.contains(":") ? "[" + host + "]" : host)
        + ":"
        + address.getPort();
  }

  /** The address of {@code proxy}, an HTTP or SOCKS proxy; null for a direct connection. */
  private static InetSocketAddress proxyAddress(Proxy proxy) {
    return proxy.type() != Proxy.Type.DIRECT && proxy.address() instanceof InetSocketAddress address
        ? address
        : null;
  }

  HttpClient http() {
    return http;
  }

  /**
   * The connections to the gateway, for monitoring.
   *
   * @param active carrying an exchange now
   * @param idle open and pooled for the next exchange
   * @param pending being opened
   */
  public record Connections(int active, int idle, int pending) {
    public static final Connections NONE = new Connections(0, 0, 0);

    /** These and {@code other} together (a site's links, the one in force and retired ones). */
    public Connections plus(Connections other) {
      return new Connections(active + other.active, idle + other.idle, pending + other.pending);
    }
  }

  /** The connections to the gateway now, for monitoring; a snapshot, not a consistent one. */
  public Connections connections() {
    int active = 0;
    int idle = 0;
    int pending = 0;
    for (Destination destination : http.getDestinations()) {
      if (destination.getConnectionPool() instanceof AbstractConnectionPool pool) {
        active += pool.getActiveConnectionCount();
        idle += pool.getIdleConnectionCount();
        pending += pool.getPendingConnectionCount();
      }
    }
    return new Connections(active, idle, pending);
  }

  /** Whether this client has stopped, its threads with it. */
  public boolean stopped() {
    return http.isStopped();
  }

  /** The name of this client and the prefix of its threads' names. */
  public String name() {
    return http.getName();
  }

  @Override
  public void close() throws Exception {
    try {
      http.stop();
    } finally {
      timers.stop();
    }
  }

  /** A single timer thread, and each thread it ever ran on, so that stopping can wait for them. */
  private static final class Timers extends ScheduledThreadPoolExecutor {
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    Timers(String name) {
      super(1);
      setThreadFactory(
          task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            threads.add(thread);
            return thread;
          });
      setRemoveOnCancelPolicy(true);
    }

    /** Stops, cancelling what is scheduled, and waits until its thread has ended. */
    void stop() throws InterruptedException {
      shutdownNow();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_WAIT_SECONDS);
      for (Thread thread : threads) {
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        if (thread.isAlive()) {
          throw new IllegalStateException(
              thread.getName() + " did not end within " + STOP_WAIT_SECONDS + " s");
        }
      }
    }
  }
}
