package dev.apilink.it;

class FuzzOnJettyTest extends FuzzContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
