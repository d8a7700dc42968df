package dev.apilink.it;

import dev.apilink.testkit.proxy.ForwardProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gateways reached through a {@link ForwardProxy}, in this JVM, where the embedded containers run:
 * the JVM's {@link ProxySelector} is what {@code https.proxyHost} sets for a container started by
 * an operator. Installed once, it sends a host named {@code gateway-via-<port>.test} through the
 * HTTP proxy on that loopback port, one named {@code gateway-via-socks-<port>.test} through the
 * SOCKS proxy on that port, and leaves every other host to the selector it replaced. A gateway's
 * port may also be made to fail the selection itself, as a JVM's own selector may (one that reads a
 * PAC file, say): the link to that gateway then cannot start.
 */
final class ThroughProxy extends ProxySelector {

  private static final Pattern HOST = Pattern.compile("gateway-via-(socks-)?(\\d+)\\.test");

  /** Ports whose selection fails, each with how many selections were asked of it. */
  private static final Map<Integer, AtomicInteger> FAILING = new ConcurrentHashMap<>();

  private final ProxySelector others;

  private ThroughProxy(ProxySelector others) {
    this.others = others;
  }

  /**
   * The URL of a gateway on {@code gatewayPort} of this host, reached through {@code proxyPort}.
   */
  static URI gateway(String scheme, int proxyPort, int gatewayPort) {
    return gateway(scheme, Proxy.Type.HTTP, proxyPort, gatewayPort);
  }

  /** As {@link #gateway(String, int, int)}, through a proxy of {@code type}, HTTP or SOCKS. */
  static synchronized URI gateway(String scheme, Proxy.Type type, int proxyPort, int gatewayPort) {
    if (!(ProxySelector.getDefault() instanceof ThroughProxy)) {
      ProxySelector.setDefault(new ThroughProxy(ProxySelector.getDefault()));
    }
    String via = type == Proxy.Type.SOCKS ? "socks-" + proxyPort : String.valueOf(proxyPort);
    return URI.create(scheme + "://gateway-via-" + via + ".test:" + gatewayPort);
  }

  /**
   * Makes every selection for a gateway on {@code gatewayPort} of this host fail, until the
   * returned selection is closed; it counts the selections asked for meanwhile.
   */
  static synchronized FailingSelection failSelectionFor(int gatewayPort) {
    if (!(ProxySelector.getDefault() instanceof ThroughProxy)) {
      ProxySelector.setDefault(new ThroughProxy(ProxySelector.getDefault()));
    }
    AtomicInteger asked = new AtomicInteger();
    FAILING.put(gatewayPort, asked);
    return new FailingSelection(gatewayPort, asked);
  }

  /** A gateway port whose proxy selection fails while this is open. */
  record FailingSelection(int gatewayPort, AtomicInteger asked) implements AutoCloseable {
    /** How many selections failed so far. */
    int failed() {
      return asked.get();
    }

    @Override
    public void close() {
      FAILING.remove(gatewayPort, asked);
    }
  }

  @Override
  public List<Proxy> select(URI uri) {
    AtomicInteger failing = FAILING.get(uri.getPort());
    if (failing != null) {
      failing.incrementAndGet();
      throw new IllegalStateException("no proxy can be chosen for " + uri + " (a test's)");
    }
    Matcher host = HOST.matcher(String.valueOf(uri.getHost()));
    if (host.matches()) {
      return List.of(
          new Proxy(
              host.group(1) == null ? Proxy.Type.HTTP : Proxy.Type.SOCKS,
              InetSocketAddress.createUnresolved("127.0.0.1", Integer.parseInt(host.group(2)))));
    }
    return others == null ? List.of(Proxy.NO_PROXY) : others.select(uri);
  }

  @Override
  public void connectFailed(URI uri, SocketAddress address, IOException failure) {
    if (others != null) {
      others.connectFailed(uri, address, failure);
    }
  }
}
