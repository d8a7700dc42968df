package dev.apilink.e2e;

/** {@link RedeployOnTomcat11IT} on Tomcat 10.1. */
class RedeployOnTomcat10IT extends RedeployOnTomcat11IT {
  @Override
  Distribution distribution() {
    return Distribution.TOMCAT_10_1;
  }
}
