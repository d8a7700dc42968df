package dev.apilink.it;

/** {@link StreamingContract} in Jetty 12 (ee10). */
class StreamingOnJettyTest extends StreamingContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
