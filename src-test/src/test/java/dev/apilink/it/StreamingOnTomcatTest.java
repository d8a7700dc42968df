package dev.apilink.it;

/** {@link StreamingContract} in Tomcat 10.1. */
class StreamingOnTomcatTest extends StreamingContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
