package dev.apilink.it;

class LoadOnTomcatTest extends LoadContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
