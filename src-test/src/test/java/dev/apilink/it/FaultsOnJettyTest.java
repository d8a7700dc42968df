package dev.apilink.it;

class FaultsOnJettyTest extends FaultContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
