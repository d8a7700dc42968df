package dev.apilink.it;

/** {@link Http2AcrossChangesContract} in Jetty. */
class Http2AcrossChangesOnJettyTest extends Http2AcrossChangesContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
