package dev.apilink.it;

/** {@link ProxyContract} in Tomcat 10.1. */
class ProxyOnTomcatTest extends ProxyContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
