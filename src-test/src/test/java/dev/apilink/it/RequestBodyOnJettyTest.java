package dev.apilink.it;

class RequestBodyOnJettyTest extends RequestBodyContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }
}
