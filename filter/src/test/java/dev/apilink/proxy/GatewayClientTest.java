package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.config.BackendConfig;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gateway client's own threads, and how it describes its route to the gateway. */
class GatewayClientTest {

  /** An IPv6 proxy address was logged as {@code ::1:1080} (found by review). */
  @Test
  void theRouteNamesTheProxyWithAnIpv6AddressInBrackets() {
    assertEquals(
        " through the SOCKS proxy [::1]:1080",
        GatewayClient.route(
            new Proxy(Proxy.Type.SOCKS, InetSocketAddress.createUnresolved("::1", 1080))));
    assertEquals(
        " through the HTTP proxy proxy.corp.example:3128",
        GatewayClient.route(
            new Proxy(
                Proxy.Type.HTTP, InetSocketAddress.createUnresolved("proxy.corp.example", 3128))));
    assertEquals("", GatewayClient.route(Proxy.NO_PROXY));
  }

  static BackendConfig withProxyCredentials(String credentials) {
    BackendConfig b = LinkTest.backend();
    return new BackendConfig(
        b.url(),
        b.subscriptionKey(),
        b.subscriptionKeyHeader(),
        b.audience(),
        b.connectTimeoutSeconds(),
        b.timeoutSeconds(),
        b.maxRequestBodyBytes(),
        b.maxConnections(),
        b.maxRequestsPerClientConnection(),
        b.keepAliveSeconds(),
        b.maxConnectionAgeSeconds(),
        b.maxResponseHeaderBytes(),
        credentials);
  }

  /** RFC 1929: at most 255 bytes each, counted in UTF-8. */
  @Test
  void socks5CredentialsFitUpTo255BytesEach() {
    assertTrue(
        GatewayClient.fitSocks5(withProxyCredentials("u".repeat(255) + ":" + "p".repeat(255))));
    assertFalse(GatewayClient.fitSocks5(withProxyCredentials("u".repeat(256) + ":p")));
    assertFalse(GatewayClient.fitSocks5(withProxyCredentials("user:" + "é".repeat(128))));
  }

  /**
   * Tomcat checks a stopped application's threads as soon as it has stopped it, and once reported
   * the client's timer thread as left running ("appears to have started a thread named
   * [apilink-jarrules-scheduler-1] but has failed to stop it"): Jetty's scheduler stopped without
   * waiting for it. Here a timer task is still running when close() is called.
   */
  @Test
  void noTimerThreadOutlivesClose() throws Exception {
    GatewayClient client = GatewayClient.start(LinkTest.backend(), "apilink-client-test");
    CountDownLatch running = new CountDownLatch(1);
    client.schedule(
        () -> {
          running.countDown();
          long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
          while (System.nanoTime() < end) {
            Thread.onSpinWait(); // a task that does not notice the interrupt of a shutdown
          }
        },
        0);
    assertTrue(running.await(10, TimeUnit.SECONDS));

    client.close();

    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      assertTrue(
          !thread.getName().startsWith("apilink-client-test-scheduler"), thread + " still runs");
    }
  }
}
