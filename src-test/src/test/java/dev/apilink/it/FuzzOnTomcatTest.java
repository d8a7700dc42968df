package dev.apilink.it;

class FuzzOnTomcatTest extends FuzzContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }
}
