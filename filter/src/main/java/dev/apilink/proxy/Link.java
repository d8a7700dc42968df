package dev.apilink.proxy;

import dev.apilink.config.BackendConfig;
import dev.apilink.config.Loggers;
import dev.apilink.token.TokenIssuer;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;

/**
 * A live link from this site to one gateway: the gateway's address and limits, its HTTP client and
 * the token issuer. Its settings never change; a changed configuration makes a new link and retires
 * this one, which keeps serving the exchanges it started and closes after the last.
 */
public final class Link implements AutoCloseable {

  private static final Logger LOG = Loggers.named("dev.apilink.proxy");

  private final BackendConfig backend;
  private final GatewayClient client;
  private final TokenIssuer tokens;
  private final String identityProvider;
  private final List<String> customRoles;
  private final URI gatewayOrigin;
  private final String pathPrefix;
  private final String tokenHeader;
  private final String siteOrigin;
  private final boolean bearer;
  private final Headers.Field subscriptionKeyField;
  private final HttpField subscriptionKeyGatewayField;
  private final HttpField hostField;
  private volatile TokenField tokenField;
  private final FailureLog failureLog;
  private final SiteReferences siteReferences;
  private final ExchangeCounts counts;
  private final ClientConnections clientConnections;
  private final String apiPath;

  /** {@link #inFlight} once a retired link has closed: it takes no more exchanges. */
  private static final int CLOSED = -1;

  private final AtomicInteger inFlight = new AtomicInteger(); // exchanges, or CLOSED
  private final AtomicBoolean closing = new AtomicBoolean();
  private volatile boolean retired;
  private volatile boolean stopping; // set under this link's lock, as closer is

  /** How long {@link #close} waits for the thread closing a retired link to end. */
  private static final long BACKGROUND_CLOSE_WAIT_SECONDS = 5;

  /** The thread closing this link once it was retired and idle, or null; set under its lock. */
  private volatile Thread closer;

  /**
   * @param backend the gateway and its limits
   * @param client the HTTP client for that gateway; closed with this link
   * @param tokens the access-token issuer
   * @param tokenHeader the header that carries the token; {@code Authorization} gets {@code Bearer}
   * @param siteOrigin the site's public origin ({@code hostname}): {@code x-ms-original-url} starts
   *     with it, whatever {@code Host} the client sent
   * @param identityProvider the {@code identityProvider} of {@code x-ms-client-principal}
   * @param customRoles the roles to report in {@code x-ms-client-principal} beyond the built-in
   *     ones
   * @param counts where this link counts its exchanges and how they ended, with the site's other
   *     links
   * @param clientConnections where this link counts its exchanges on each client connection that
   *     carries several at once, with the site's other links
   * @param apiPath the path of {@code /api} in the container ({@code /shop/api}), which names the
   *     web application in lines that name no request: several share the container's log
   */
  public Link(
      BackendConfig backend,
      GatewayClient client,
      TokenIssuer tokens,
      String tokenHeader,
      URI siteOrigin,
      String identityProvider,
      List<String> customRoles,
      ExchangeCounts counts,
      ClientConnections clientConnections,
      String apiPath) {
    this.backend = backend;
    this.apiPath = apiPath;
    this.counts = counts;
    this.clientConnections = clientConnections;
    this.client = client;
    this.tokens = tokens;
    this.identityProvider = identityProvider;
    this.customRoles = List.copyOf(customRoles);
    URI url = backend.url();
    this.gatewayOrigin = URI.create(url.getScheme() + "://" + url.getRawAuthority());
    this.pathPrefix = backend.pathPrefix();
    this.tokenHeader = tokenHeader;
    this.siteOrigin = siteOrigin.getScheme() + "://" + siteOrigin.getRawAuthority();
    this.bearer = tokenHeader.equalsIgnoreCase("Authorization");
    this.subscriptionKeyField =
        new Headers.Field(backend.subscriptionKeyHeader(), backend.subscriptionKey());
    this.subscriptionKeyGatewayField = preEncoded(subscriptionKeyField);
    this.hostField = new PreEncodedHttpField(HttpHeader.HOST, authority(url));
    this.siteReferences = new SiteReferences(url, pathPrefix);
    this.failureLog = new FailureLog(System::nanoTime, client::schedule, this::reportNotLogged);
    ProxyExchange.preloadClasses();
  }

  /**
   * The failures of one kind that {@link FailureLog} held back and no later line counted. Named by
   * the site's /api with its origin, as the one-by-one lines name their requests, and by gateway as
   * they are: such a line comes when the link closes, after a configuration change has logged the
   * next gateway (a reviewer's soak test read the previous gateway's counts as those of the gateway
   * that was down).
   */
  private void reportNotLogged(String kind, long count) {
    LOG.log(
        Level.WARNING,
        "ApiLink: {0} more {1} to {5} {2} (gateway {4}), not logged one by one (at most one line"
            + " every {3} s)",
        new Object[] {
          // Text, not numbers: the log's formatter writes numbers in the JVM's locale ("١٬٢٣٤").
          Long.toString(count),
          count == 1 ? "request" : "requests",
          kind,
          Long.toString(FailureLog.QUIET_SECONDS),
          loggedGateway(),
          siteOrigin + apiPath
        });
  }

  /**
   * The gateway's host and port, without a default port: what Jetty's client would put in {@code
   * Host}, but from a URI it builds and parses twice for every request that has no {@code Host}.
   */
  private static String authority(URI url) {
    return GatewayTarget.authority(url.getScheme(), url.getHost(), url.getPort());
  }

  /**
   * Proxies one {@code /api} request and returns true once the exchange has been started; returns
   * false, leaving the request untouched, when this link was retired and has closed since the
   * caller chose it (a configuration change in between): the caller hands the request to the link
   * that replaced it. It used to go to the closing client and get a 502.
   */
  public boolean proxy(HttpServletRequest clientRequest, HttpServletResponse clientResponse) {
    int count;
    do {
      count = inFlight.get();
      if (count == CLOSED) {
        return false;
      }
    } while (!inFlight.compareAndSet(count, count + 1));
    ProxyExchange exchange;
    try {
      // Reads the request: a wrapper's accessor may throw (Spring Session's getRequestedSessionId()
      // while its store is down), and the exchange, counted above, would never end.
      exchange = new ProxyExchange(this, clientRequest, clientResponse);
    } catch (RuntimeException | Error e) {
      exchangeEnded();
      throw e;
    }
    counts.start();
    exchange.start();
    return true;
  }

  /** Called once by each exchange when it has ended. */
  void exchangeEnded() {
    if (inFlight.decrementAndGet() == 0 && retired) {
      closeIfIdle();
    }
  }

  /**
   * Takes no new exchanges (the caller stops handing them out) and closes once those in flight have
   * ended, so that a configuration change never cuts a request short.
   */
  public void retire() {
    retired = true;
    closeIfIdle();
  }

  /** Closes if no exchange is in flight; from then on {@link #proxy} takes none. */
  private void closeIfIdle() {
    if (inFlight.compareAndSet(0, CLOSED)) {
      closeInBackground();
    }
  }

  /** The connections to this link's gateway, for monitoring. */
  public GatewayClient.Connections gatewayConnections() {
    return client.connections();
  }

  ExchangeCounts counts() {
    return counts;
  }

  ClientConnections clientConnections() {
    return clientConnections;
  }

  /** Exchanges started and not yet ended. */
  public int exchangesInFlight() {
    return Math.max(0, inFlight.get());
  }

  private void closeInBackground() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    // Not on the caller's thread: that may be one of the client's own.
    failureLog.flush();
    Thread thread =
        new Thread(
            () -> {
              try {
                client.close();
              } catch (Exception e) {
                LOG.log(Level.WARNING, "ApiLink: closing the client of a retired link failed", e);
              }
            },
            client.name() + "-retire");
    thread.setDaemon(true);
    synchronized (this) {
      // A close() that began meanwhile closes the client itself, and waits only for a thread it
      // has seen: one started after it would outlive the web application.
      if (stopping) {
        return;
      }
      closer = thread;
      thread.start();
    }
  }

  /**
   * Throws if the proxy has asked to break off the client's response of {@code request}: the filter
   * calls this on every async dispatch, and the exception, thrown after the response was committed,
   * makes the container close the connection instead of ending the response cleanly.
   */
  public static void breakOffIfRequested(HttpServletRequest request) throws IOException {
    if (request.getDispatcherType() != DispatcherType.ASYNC) {
      return;
    }
    if (request.getAttribute(ProxyExchange.ABORT_ATTRIBUTE)
        instanceof ProxyExchange.BreakOff breakOff) {
      request.removeAttribute(ProxyExchange.ABORT_ATTRIBUTE);
      // Jetty 12 never calls AsyncListener.onComplete for an async cycle that a dispatch ends
      // with an exception, so the exchange is counted as ended here: otherwise a retired link
      // would wait for it forever and never close its client.
      breakOff.exchange().ended();
      throw new BrokenOff(
          breakOff.failure(), breakOff.byClient(), breakOff.exchange().siteStopping());
    }
  }

  /**
   * The client's response is broken off after it had begun: the gateway's broke off, or a time
   * limit ran out, or this server failed while passing the answer on.
   */
  static final class BrokenOff extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * @param siteStopping whether the web application is stopping, its gateway client closed under
     *     the exchange: Jetty logs this exception as a WARN, and its message said "the gateway's
     *     response broke off" at each undeployment or redeployment with a stream open, a gateway
     *     fault where there was none (docs/proxy.md: not a gateway fault; found by review h39a on
     *     Jetty 12.1.12)
     */
    BrokenOff(Throwable failure, boolean byClient, boolean siteStopping) {
      super(
          "ApiLink: "
              // A CancellationException is ProxyExchange's for the container's async timeout of
              // an application that is stopping before its filter's destroy() (Tomcat's).
              + (siteStopping || failure instanceof CancellationException
                  ? "the web application is stopping"
                  : failure instanceof GatewayError.ClientStalled
                      ? "the client stopped taking the response"
                      : byClient
                          ? "the client's request body could not be read, and the response broke off"
                              + " with it"
                          : GatewayError.timedOut(failure)
                              ? "the gateway's response did not end within timeoutSeconds"
                              : failure instanceof RuntimeException || failure instanceof Error
                                  // this server's failure (notPassedOn), not the gateway's
                                  ? "the answer could not be passed on to the client"
                                  : "the gateway's response broke off")
              + " ("
              + FailureLog.describe(failure)
              + "); closing the client's connection");
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this; // an expected event, logged by the container: the message says it all
    }
  }

  BackendConfig backend() {
    return backend;
  }

  /**
   * The gateway as every log line names it: its URL and how it is reached ({@link
   * GatewayClient#route}), so that the start-up line and each failure's line name it alike.
   */
  public String loggedGateway() {
    return backend.url() + client.route();
  }

  GatewayClient client() {
    return client;
  }

  String identityProvider() {
    return identityProvider;
  }

  List<String> customRoles() {
    return customRoles;
  }

  /** The gateway's scheme and authority. */
  URI gatewayOrigin() {
    return gatewayOrigin;
  }

  /** The gateway URL's path, which prefixes every forwarded path. */
  String pathPrefix() {
    return pathPrefix;
  }

  String tokenHeader() {
    return tokenHeader;
  }

  /** The site's public origin, without a trailing slash. */
  String siteOrigin() {
    return siteOrigin;
  }

  /**
   * The token header's value: the current token, after {@code Bearer} for {@code Authorization}.
   */
  String tokenValue() {
    return currentTokenField().field().value();
  }

  /**
   * The field to send the gateway for {@code field}. The key's and the token's are the same bytes
   * on every request until the token is renewed, so they are encoded once rather than character by
   * character per request (with a token of some 800 characters, that character loop was the hottest
   * method in a profile under load).
   */
  HttpField gatewayField(Headers.Field field) {
    if (field.equals(subscriptionKeyField)) {
      return subscriptionKeyGatewayField;
    }
    TokenField token = tokenField;
    if (token != null && field.equals(token.field())) {
      return token.encoded();
    }
    return new HttpField(field.name(), field.value());
  }

  /** The current token as the field the gateway request is written with. */
  HttpField tokenGatewayField() {
    return currentTokenField().encoded();
  }

  private TokenField currentTokenField() {
    String token = tokens.token();
    TokenField current = tokenField;
    // The issuer hands out the same String until it mints a new token, so equals() returns at its
    // reference check.
    if (current == null || !current.token().equals(token)) {
      Headers.Field field = new Headers.Field(tokenHeader, bearer ? "Bearer " + token : token);
      current = new TokenField(token, field, preEncoded(field));
      tokenField = current;
    }
    return current;
  }

  private static HttpField preEncoded(Headers.Field field) {
    return new PreEncodedHttpField(HttpHeader.CACHE.get(field.name()), field.name(), field.value());
  }

  /** The current token as a header field, in the form the gateway request is written from. */
  private record TokenField(String token, Headers.Field field, HttpField encoded) {
    @Override
    public String toString() {
      return "TokenField[" + field.name() + "]";
    }
  }

  /**
   * {@code Host} for the gateway request: the gateway's authority (DESIGN, "What reaches the
   * gateway").
   */
  HttpField hostField() {
    return hostField;
  }

  /** What makes the gateway's references to its own paths the site's. */
  SiteReferences siteReferences() {
    return siteReferences;
  }

  /** How often this link's failures are logged. */
  FailureLog failureLog() {
    return failureLog;
  }

  /**
   * Logs a deployment mistake that made ApiLink refuse a request (a filter that is not
   * async-supported, a wrapper that refuses the listeners): SEVERE, but a mistake of one {@code
   * kind} at most once every {@link FailureLog#QUIET_SECONDS}, as the gateway's failures are; the
   * others at FINE, counted in the next line. A busy site so misconfigured logged one SEVERE line
   * with its stack trace per request (found by review).
   *
   * @param kind what the line that counts those held back says of them, after "n more requests to
   *     /api"
   */
  public void logRefusal(Logger log, String kind, String line, Throwable refusal) {
    long notLogged = failureLog.admit(kind);
    Level level = notLogged < 0 ? Level.FINE : Level.SEVERE;
    if (log.isLoggable(level)) {
      log.log(level, line + FailureLog.notLoggedSince(notLogged), refusal);
    }
  }

  /** The issuer, for tests and benchmarks that count signatures. */
  public TokenIssuer tokens() {
    return tokens;
  }

  /**
   * Closes at once, exchanges in flight or not (the web application is stopping): those still
   * waiting for the gateway are answered 503, as the gateway did nothing wrong. Also a retired link
   * that is still finishing its exchanges, so that none of its threads outlives the application.
   */
  @Override
  public void close() throws Exception {
    Thread background;
    synchronized (this) {
      stopping = true;
      background = closer;
    }
    closing.set(true);
    failureLog.flush();
    try {
      client.close(); // at once, even if a retired link's background close is under way: idempotent
    } finally {
      // Jetty stops the client once, and the background close may still be ending (its timers):
      // a thread of the web application's left running when its stop returns, which Tomcat
      // reports, and which keeps the stopped application's classes (found by review h39d).
      awaitEnd(background);
    }
  }

  /** Waits a bounded time for {@code background}, if any, to end; throws if it has not. */
  private static void awaitEnd(Thread background) {
    if (background == null || background == Thread.currentThread()) {
      return;
    }
    try {
      background.join(TimeUnit.SECONDS.toMillis(BACKGROUND_CLOSE_WAIT_SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (background.isAlive()) {
      throw new IllegalStateException(
          background.getName() + " did not end within " + BACKGROUND_CLOSE_WAIT_SECONDS + " s");
    }
  }

  /** Whether {@link #close} was called: the web application is stopping. */
  boolean stopping() {
    return stopping;
  }

  /**
   * Whether this link's client has stopped and the thread that closed it in the background, if any,
   * has ended: it holds no threads any more. A link dropped from those a stop closes once its
   * client read stopped left that thread to outlive the web application (found by review h39d).
   */
  public boolean closed() {
    Thread background = closer;
    return client.stopped() && (background == null || !background.isAlive());
  }

  @Override
  public String toString() {
    return "Link[" + backend.url() + "]";
  }
}
