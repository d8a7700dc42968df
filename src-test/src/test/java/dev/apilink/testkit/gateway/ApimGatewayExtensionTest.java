package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.apilink.testkit.echo.EchoBackend;
import java.net.ConnectException;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineTestKit;

/** The JUnit 5 extension starts the gateway before the tests it serves and stops it after. */
class ApimGatewayExtensionTest {

  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();

  static ApimGateway.Builder openSample() {
    return ApimGateway.builder()
        .api("sample", "api", backend.url())
        .product(Product.of("open").withSubscriptionRequired(false).withApis("sample"));
  }

  @RegisterExtension
  static final ApimGatewayExtension gateway = ApimGatewayExtension.of(openSample());

  @AfterAll
  static void stop() throws Exception {
    client.close();
    backend.close();
  }

  @Test
  void theGatewayRunsDuringTheTestsAndCanBeInjected(ApimGateway injected) {
    assertSame(gateway.gateway(), injected);
    assertEquals(200, client.get(gateway.url(), "/api/x").status());
  }

  @Test
  void aGatewayOnAStaticFieldServesTheWholeClassAndStopsAfterIt() {
    PerClass.ports.clear();

    EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(PerClass.class))
        .execute()
        .testEvents()
        .assertStatistics(stats -> stats.started(2).succeeded(2));

    assertEquals(2, PerClass.ports.size());
    assertEquals(PerClass.ports.get(0), PerClass.ports.get(1));
    assertClosed(PerClass.ports.get(0));
    IllegalStateException stopped =
        assertThrows(IllegalStateException.class, PerClass.gateway::gateway);
    assertEquals("the gateway runs only while the tests it serves run", stopped.getMessage());
  }

  @Test
  void aGatewayOnAnInstanceFieldServesEachTestAndStopsAfterIt() {
    PerTest.ports.clear();

    EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(PerTest.class))
        .execute()
        .testEvents()
        .assertStatistics(stats -> stats.started(2).succeeded(2));

    assertEquals(2, PerTest.ports.size());
    assertNotEquals(PerTest.ports.get(0), PerTest.ports.get(1));
    assertClosed(PerTest.ports.get(0));
    assertClosed(PerTest.ports.get(1));
  }

  @Test
  void aSetUpThatCannotStartFailsTheTestClass() {
    EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(BadSetUp.class))
        .execute()
        .containerEvents()
        .assertStatistics(stats -> stats.failed(1));
  }

  private static void assertClosed(int port) {
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
  }

  /** Run by the tests above only, through the engine test kit. */
  static class PerClass {
    static final List<Integer> ports = new CopyOnWriteArrayList<>();

    @RegisterExtension
    static final ApimGatewayExtension gateway = ApimGatewayExtension.of(openSample());

    @Test
    void first() {
      ports.add(gateway.gateway().port());
      assertEquals(200, client.get(gateway.url(), "/api/x").status());
    }

    @Test
    void second() {
      ports.add(gateway.gateway().port());
    }
  }

  /** Run by the tests above only, through the engine test kit. */
  static class PerTest {
    static final List<Integer> ports = new CopyOnWriteArrayList<>();

    @RegisterExtension
    final ApimGatewayExtension gateway =
        ApimGatewayExtension.of(ApimGatewayExtensionTest::openSample);

    @Test
    void first(ApimGateway injected) {
      ports.add(injected.port());
    }

    @Test
    void second(ApimGateway injected) {
      ports.add(injected.port());
    }
  }

  /** Run by the tests above only, through the engine test kit. */
  static class BadSetUp {
    @RegisterExtension
    static final ApimGatewayExtension gateway =
        ApimGatewayExtension.of(ApimGateway.builder().product(Product.of("p").withApis("nope")));

    @Test
    void neverRuns() {}
  }
}
