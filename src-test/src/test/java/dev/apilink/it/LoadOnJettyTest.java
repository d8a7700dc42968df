package dev.apilink.it;

class LoadOnJettyTest extends LoadContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
