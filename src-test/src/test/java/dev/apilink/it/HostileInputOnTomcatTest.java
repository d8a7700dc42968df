package dev.apilink.it;

class HostileInputOnTomcatTest extends HostileInputContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
