package dev.apilink.it;

/** {@link ProxyContract} in Jetty 12 (ee10). */
class ProxyOnJettyTest extends ProxyContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
