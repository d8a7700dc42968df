package dev.apilink.it;

/** {@link StoppingContract} in Jetty. */
class StoppingOnJettyTest extends StoppingContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
