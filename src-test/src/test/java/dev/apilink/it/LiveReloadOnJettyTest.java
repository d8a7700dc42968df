package dev.apilink.it;

/** {@link LiveReloadContract} in Jetty. */
class LiveReloadOnJettyTest extends LiveReloadContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
