package dev.apilink.testkit.gateway;

import java.net.URI;
import java.util.Objects;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Runs an {@link ApimGateway} around a test class (on a static field) or around each test (on an
 * instance field):
 *
 * <pre>{@code
 * static EchoBackend backend = EchoBackend.start();
 *
 * @RegisterExtension
 * static ApimGatewayExtension gateway =
 *     ApimGatewayExtension.of(
 *         ApimGateway.builder()
 *             .api("sample", "api", backend.url())
 *             .product(Product.of("swa-linked").withApis("sample"))
 *             .subscription(Subscription.of("swa-sub", "swa-linked")));
 *
 * @Test
 * void callsTheBackend() {
 *   String key = gateway.gateway().primaryKey("swa-sub");
 *   ...
 * }
 * }</pre>
 *
 * <p>Test methods and lifecycle methods may also take an {@link ApimGateway} parameter.
 */
public final class ApimGatewayExtension
    implements BeforeAllCallback,
        AfterAllCallback,
        BeforeEachCallback,
        AfterEachCallback,
        ParameterResolver {

  private final Supplier<ApimGateway.Builder> builder;
  private ApimGateway gateway;
  private boolean perClass;
  private String startedBy;

  private ApimGatewayExtension(Supplier<ApimGateway.Builder> builder) {
    this.builder = builder;
  }

  /** A gateway started from {@code builder}, with fresh keys each time it starts. */
  public static ApimGatewayExtension of(ApimGateway.Builder builder) {
    Objects.requireNonNull(builder, "builder");
    return new ApimGatewayExtension(() -> builder);
  }

  /** A gateway started from the builder {@code builder} supplies when the gateway starts. */
  public static ApimGatewayExtension of(Supplier<ApimGateway.Builder> builder) {
    return new ApimGatewayExtension(Objects.requireNonNull(builder, "builder"));
  }

  /**
   * The running gateway.
   *
   * @throws IllegalStateException outside the tests the extension is registered for
   */
  public synchronized ApimGateway gateway() {
    if (gateway == null) {
      throw new IllegalStateException("the gateway runs only while the tests it serves run");
    }
    return gateway;
  }

  /** The running gateway's base URL. */
  public URI url() {
    return gateway().url();
  }

  @Override
  public synchronized void beforeAll(ExtensionContext context) {
    perClass = true;
    start(context);
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    stop(context);
  }

  @Override
  public synchronized void beforeEach(ExtensionContext context) {
    if (!perClass) {
      start(context);
    }
  }

  @Override
  public synchronized void afterEach(ExtensionContext context) {
    if (!perClass) {
      stop(context);
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == ApimGateway.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return gateway();
  }

  /** Starts the gateway unless it runs already (for an enclosing class of a nested one). */
  private void start(ExtensionContext context) {
    if (gateway == null) {
      gateway = builder.get().start();
      startedBy = context.getUniqueId();
    }
  }

  /** Stops the gateway if {@code context} is the one that started it. */
  private void stop(ExtensionContext context) {
    if (gateway != null && context.getUniqueId().equals(startedBy)) {
      try {
        gateway.close();
      } finally {
        gateway = null;
      }
    }
  }
}
