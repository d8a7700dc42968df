package dev.apilink.it;

class RequestBodyOnTomcatTest extends RequestBodyContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
