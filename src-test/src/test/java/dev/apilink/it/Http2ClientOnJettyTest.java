package dev.apilink.it;

/** {@link Http2ClientContract} in Jetty. */
class Http2ClientOnJettyTest extends Http2ClientContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
