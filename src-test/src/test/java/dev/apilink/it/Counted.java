package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * How the site's exchanges were counted, read from its JMX bean as an operator reads them: each
 * outcome in exactly one counter (docs/operations.md, Monitoring). For a test's one site.
 */
final class Counted {

  private Counted() {}

  /** The JMX bean's counters of how exchanges ended (docs/operations.md, Monitoring). */
  private static final List<String> OUTCOMES =
      List.of(
          "ExchangesStarted",
          "AnsweredBadGateway",
          "AnsweredGatewayTimeout",
          "AnsweredOtherErrors",
          "ResponsesBrokenOff",
          "GatewayAnsweredUnauthorized",
          "GatewayAnsweredClientErrors",
          "GatewayAnsweredServerErrors");

  /** The JMX name of the test's one site's bean. */
  static ObjectName siteBean() throws JMException {
    return ManagementFactory.getPlatformMBeanServer()
        .queryNames(new ObjectName("dev.apilink:type=ApiLink,*"), null)
        .iterator()
        .next();
  }

  /** The site's counters that are not 0, read from its JMX bean as an operator reads them. */
  static Map<String, Long> outcomes() throws JMException {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName name = siteBean();
    Map<String, Long> counted = new TreeMap<>();
    for (String attribute : OUTCOMES) {
      long value = (Long) server.getAttribute(name, attribute);
      if (value != 0) {
        counted.put(attribute, value);
      }
    }
    return counted;
  }

  /** One exchange started, and counted as a response broken off alone. */
  static void brokenOffOnce() throws JMException {
    assertEquals(
        Map.of("ExchangesStarted", 1L, "ResponsesBrokenOff", 1L),
        outcomes(),
        "one exchange, counted once as a response broken off");
  }

  /** One exchange started, and counted as nothing else: its client left. */
  static void asAClientThatLeft() throws JMException {
    assertEquals(
        Map.of("ExchangesStarted", 1L),
        outcomes(),
        "one exchange, whose client left: counted as started alone");
  }

  /** One exchange started, and counted in {@code counter} alone, once. */
  static void once(String counter) throws JMException {
    assertEquals(
        Map.of("ExchangesStarted", 1L, counter, 1L),
        outcomes(),
        "one exchange, counted once in " + counter);
  }
}
