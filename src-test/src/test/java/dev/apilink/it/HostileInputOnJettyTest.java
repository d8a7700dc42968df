package dev.apilink.it;

class HostileInputOnJettyTest extends HostileInputContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
