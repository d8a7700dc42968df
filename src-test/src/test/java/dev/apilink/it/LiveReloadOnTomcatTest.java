package dev.apilink.it;

/** {@link LiveReloadContract} in Tomcat. */
class LiveReloadOnTomcatTest extends LiveReloadContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
