package dev.apilink.e2e;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The gateway that the sites under test are linked to, in front of {@code backend}.
 *
 * <p>Until the testkit's APIM-compatible gateway is available, the backend itself stands in for the
 * gateway: the sites send their requests, key and token straight to it and any key is accepted. The
 * sites are described up front because a real gateway is set up from each site's {@code link}
 * output, which names the site's origin and context path.
 */
public final class LinkedGateway implements AutoCloseable {

  /** The key the sites send while no real gateway issues one. */
  static final String STAND_IN_KEY = "e2e-primary-key-5c1f0d7a9b3e";

  /**
   * A site to link: its {@code apilink.json}, where it is deployed, and the environment variables
   * that the configuration reads (the gateway's URL and key excepted: this class supplies those).
   */
  public record LinkedSite(Path config, String contextPath, Map<String, String> environment) {}

  private final URI url;

  private LinkedGateway(URI url) {
    this.url = url;
  }

  /** Links {@code sites} to a gateway in front of {@code backend}. */
  public static LinkedGateway start(URI backend, List<LinkedSite> sites) {
    return new LinkedGateway(backend);
  }

  /** What the sites set as {@code APIM_GATEWAY_URL}. */
  public URI url() {
    return url;
  }

  /** What {@code site} sets as {@code APIM_SUBSCRIPTION_KEY}: its subscription's primary key. */
  public String subscriptionKey(LinkedSite site) {
    return STAND_IN_KEY;
  }

  /** Whether a real gateway sits between the sites and the backend (false: a stand-in). */
  public boolean isReal() {
    return false;
  }

  @Override
  public void close() {}
}
