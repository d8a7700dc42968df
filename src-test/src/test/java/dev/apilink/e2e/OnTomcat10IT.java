package dev.apilink.e2e;

class OnTomcat10IT extends DistributionContract {
  @Override
  Distribution distribution() {
    return Distribution.TOMCAT_10_1;
  }
}
