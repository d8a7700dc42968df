package dev.apilink.it;

/** {@link FlowControlContract} in Tomcat 10.1. */
class FlowControlOnTomcatTest extends FlowControlContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
