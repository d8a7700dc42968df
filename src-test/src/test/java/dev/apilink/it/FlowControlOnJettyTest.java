package dev.apilink.it;

/** {@link FlowControlContract} in Jetty 12 (ee10). */
class FlowControlOnJettyTest extends FlowControlContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
