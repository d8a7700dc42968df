package dev.apilink.it;

/** {@link RoutesContract} in Tomcat 10.1, with a MemoryRealm. */
class RoutesOnTomcatTest extends RoutesContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
