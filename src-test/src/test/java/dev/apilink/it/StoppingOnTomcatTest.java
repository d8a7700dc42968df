package dev.apilink.it;

/** {@link StoppingContract} in Tomcat. */
class StoppingOnTomcatTest extends StoppingContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
