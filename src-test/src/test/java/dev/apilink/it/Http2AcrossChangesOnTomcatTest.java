package dev.apilink.it;

/** {@link Http2AcrossChangesContract} in Tomcat. */
class Http2AcrossChangesOnTomcatTest extends Http2AcrossChangesContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
