package dev.apilink.testkit.gateway;

import java.util.List;

/**
 * A product's policy document, parsed and checked: the statements of its inbound section, in
 * document order. The other sections may hold only {@code <base/>}, which does nothing here (there
 * is no global or API-level policy in the testkit gateway).
 */
record Policy(String xml, List<InboundStep> inbound) {

  /** No policy document: every section is {@code <base/>}. */
  static final Policy NONE = new Policy(null, List.of());

  Policy {
    inbound = List.copyOf(inbound);
  }

  /** One inbound policy statement. */
  sealed interface InboundStep permits RateLimit, SetHeader, ValidateJwt {}
}
