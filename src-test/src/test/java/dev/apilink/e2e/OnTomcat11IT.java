package dev.apilink.e2e;

class OnTomcat11IT extends DistributionContract {
  @Override
  Distribution distribution() {
    return Distribution.TOMCAT_11;
  }
}
