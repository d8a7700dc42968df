package dev.apilink.e2e;

class OnJetty120Ee10IT extends DistributionContract {
  @Override
  Distribution distribution() {
    return Distribution.JETTY_12_0_EE10;
  }
}
