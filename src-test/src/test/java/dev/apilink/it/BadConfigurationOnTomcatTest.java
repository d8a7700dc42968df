package dev.apilink.it;

class BadConfigurationOnTomcatTest extends BadConfigurationContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
