package dev.apilink.it;

class BadConfigurationOnJettyTest extends BadConfigurationContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
