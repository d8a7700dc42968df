package dev.apilink.it;

class FaultsOnTomcatTest extends FaultContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
