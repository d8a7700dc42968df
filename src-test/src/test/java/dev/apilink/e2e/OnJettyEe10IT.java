package dev.apilink.e2e;

class OnJettyEe10IT extends DistributionContract {
  @Override
  Distribution distribution() {
    return Distribution.JETTY_12_EE10;
  }
}
