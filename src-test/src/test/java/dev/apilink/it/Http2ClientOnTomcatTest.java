package dev.apilink.it;

/** {@link Http2ClientContract} in Tomcat. */
class Http2ClientOnTomcatTest extends Http2ClientContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
