package dev.apilink.it;

/** {@link RoutesContract} in Jetty 12 (ee10), with a HashLoginService. */
class RoutesOnJettyTest extends RoutesContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
